import { execFileSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { coldStart } from "./coldStart.js";
import { crashWindowRow } from "./crashWindow.js";
import { rotationOverhead } from "./rotationOverhead.js";
import { rotationThroughput } from "./rotationThroughput.js";
import { sweepScale } from "./sweepScale.js";

/**
 * `npm run bench`: each benchmark measures the thing and its baseline in the same run, on the same machine,
 * and reports the ratio. Results go to bench/RESULTS.md. No test asserts a time; goals are read here.
 */
interface Row {
  name: string;
  measured: string;
  baseline: string;
  ratio: number;
  goal: string;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const loadBefore = os.loadavg()[0] ?? 0;
  console.log("bench: building the function bundle...");
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
  const bundleBytes = statSync("dist/main.js").size;

  console.log("bench: cold start (fresh process to the first answered HTTP rotation, median of 5)...");
  const cold = await coldStart(5);
  rows.push({
    name: "cold start: a fresh process imports the app, serves it (dev host) and answers its first HTTP rotation (a PostgreSQL secret: settings, Key Vault, blob lease, audit, pg all loaded), bundle vs the same code transpiled file by file with node_modules unbundled",
    measured: `${cold.bundledMs.toFixed(0)} ms (listening after ${cold.bundledReadyMs.toFixed(0)} ms)`,
    baseline: `${cold.unbundledMs.toFixed(0)} ms (listening after ${cold.unbundledReadyMs.toFixed(0)} ms)`,
    ratio: cold.bundledMs / cold.unbundledMs,
    goal: "≤ 0.3",
  });

  console.log("bench: rotation overhead (engine vs bare Key Vault writes, interleaved)...");
  const overhead = await rotationOverhead(40);
  const trips = overhead.perRotation.reduce((n, [, c]) => n + c, 0);
  rows.push({
    name: `rotation of a random secret through the engine (lease, pending record, outbox, audit) vs the same Key Vault writes done bare (read, stage, commit, close), interleaved, ${overhead.count} secrets; ${trips} round trips per rotation vs ${overhead.bareRoundTrips} (below)`,
    measured: `${overhead.engineMs.toFixed(1)} ms/rotation`,
    baseline: `${overhead.bareMs.toFixed(1)} ms/rotation`,
    ratio: overhead.engineMs / overhead.bareMs,
    goal: "report only: the safety the protocol buys, priced",
  });
  notes.push(
    "### Round trips of one rotation (of a secret rotated before; counted on the wire)",
    "",
    "| service and request | count |",
    "| --- | --- |",
    ...overhead.perRotation.map(([k, c]) => `| ${k} | ${c} |`),
    "",
    "Necessary to the protocol: on demand, the latest version read on arrival (coalescing: a request that waited for a rotation in flight is answered already-rotated); lease acquire and release; read the latest version and the pending record; note the rotation in the open-rotations index and take it off again (the resume timer's bound on the single-credential window); stage, commit, close; keep the audit event in the outbox, deliver it, delete it from the outbox (13). " +
      "Removed: the lease blob is now made only on a secret's first rotation (acquire first, create it on 404), where it was one PUT per rotation. " +
      "Beyond the protocol: staging lists the pending record's versions to read the owner tag of its disabled newest version (a disabled version cannot be read) before writing over it; the listing grows by one version per rotation (a page per 25 rotations). The pending record is not read a second time: the pending-state read already saw it disabled. " +
      "test/rotation/roundTrips.test.ts pins the current count.",
    "",
  );

  for (const count of [10_000, 100_000]) {
    console.log(
      `bench: sweep of ${count} secrets vs a listing with the same read-ahead (emulator in its own process)...`,
    );
    const r = await sweepScale(count, count >= 100_000 ? 1000 : undefined);
    rows.push({
      name: `sweep as the timer runs it (classify; JSON and HTML reports streamed to the blob store, Azurite) of ${count.toLocaleString("en")} secrets vs a listing of the same vault with the same read-ahead (4 pages), alternated, best of 5`,
      measured: `${r.sweepMs.toFixed(0)} ms, +${r.sweepPeakMb.toFixed(1)} MB peak heap (garbage included), +${Math.max(0, r.sweepRetainedMb).toFixed(1)} MB held after GC`,
      baseline: `${r.listMs.toFixed(0)} ms, +${r.listPeakMb.toFixed(1)} MB peak heap`,
      ratio: r.sweepMs / r.listMs,
      goal: "≤ 1.15; memory flat as the vault grows",
    });
    if (r.limited)
      rows.push({
        name: `the same sweep of ${count.toLocaleString("en")} secrets (${r.pages} list requests) with the emulator limiting all transactions to ${r.limited.limitPer10s} per 10 s sliding window, Retry-After in whole seconds as Key Vault answers (its 4,000 scaled down so that the sweep needs several windows): ${r.limited.throttled} requests throttled; baseline: the least time that limit permits for ${r.pages} requests (a full window per ${r.limited.limitPer10s} after the first)`,
        measured: `${(r.limited.ms / 1000).toFixed(1)} s (${r.limited.transactionsPerSecond.toFixed(0)} transactions/s)`,
        baseline: `${(r.limited.minMs / 1000).toFixed(1)} s (${(r.pages / (r.limited.minMs / 1000)).toFixed(0)} transactions/s)`,
        ratio: r.limited.minMs / r.limited.ms,
        goal: "≥ 0.9",
      });
  }

  console.log("bench: rotation throughput on 1,000 due secrets under both Key Vault limits...");
  const limits = { secretWrites: 300, allTransactions: 4000, windowMs: 10_000 };
  const t = await rotationThroughput(1000, limits);
  rows.push({
    name: `sweep rotating ${t.due} due secrets under both of Key Vault's limits at once, as the service sets them: ${limits.secretWrites} secret writes and ${limits.allTransactions} transactions per ${limits.windowMs / 1000} s sliding window; counted at the emulator: ${t.writesPerRotation.toFixed(2)} writes and ${t.transactionsPerRotation.toFixed(2)} transactions per rotation, so ${t.binding} bind; ${t.rotated} rotated, ${t.failed} failed, ${t.throttled} requests throttled; baseline: the least time the binding limit permits for the requests counted (a full window per ${limits.secretWrites} writes after the first)`,
    measured: `${t.achieved.toFixed(1)} rotations/s (${t.seconds.toFixed(1)} s)`,
    baseline: `${t.allowed.toFixed(1)} rotations/s (${t.minSeconds.toFixed(0)} s)`,
    ratio: t.achieved / t.allowed,
    goal: "≥ 0.9 with no failures",
  });

  console.log(
    "bench: single-credential window after a crash between apply and commit (about a minute a crash)...",
  );
  rows.push(await crashWindowRow(2));

  rows.push(...(await (await import("./scheduledRotationCost.js")).scheduledRotationCost(100_000, 100)));
  const loadAfter = os.loadavg()[0] ?? 0;
  const lines = [
    "# Benchmark results",
    "",
    `Run ${new Date().toISOString()} on ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}. ` +
      "Every ratio compares two measurements taken in the same run. " +
      `The machine was shared with other work (load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after), so absolute times are noisy; ratios less so.`,
    "",
    `Bundle: dist/main.js is ${(bundleBytes / 1024).toFixed(0)} KiB.`,
    "",
    "| benchmark | measured | baseline | ratio | goal |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.name} | ${r.measured} | ${r.baseline} | ${r.ratio.toFixed(2)} | ${r.goal} |`),
    "",
    ...notes,
  ];
  writeFileSync("bench/RESULTS.md", lines.join("\n"));
  console.log(lines.join("\n"));
}

await main();
