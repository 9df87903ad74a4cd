import { execFileSync, spawnSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Wall time and peak RSS of a fresh Node process running `code`, median of `runs`. */
function processCost(code: string, runs: number): { ms: number; rssMb: number } {
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = process.hrtime.bigint();
    const result = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `${code}\nprocess.stdout.write(String(process.resourceUsage().maxRSS))`],
      {
        encoding: "utf8",
        cwd: path.resolve("."),
      },
    );
    if (result.status !== 0) throw new Error(`benchmark process failed: ${result.stderr}`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    rss.push(Number(result.stdout.trim().split("\n").at(-1)) / 1024);
  }
  return { ms: median(times), rssMb: median(rss) };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  console.log("bench: building the function bundle...");
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
  const bundleBytes = statSync("dist/main.js").size;

  console.log("bench: cold start (fresh process, median of 7)...");
  const empty = processCost("", 7);
  const bundled = processCost('await import("./dist/main.js");', 7);
  const sdks = processCost(
    [
      '"@azure/functions"',
      '"@azure/keyvault-secrets"',
      '"@azure/identity"',
      '"@azure/storage-blob"',
      '"@azure/eventgrid"',
      '"pg"',
      '"zod"',
      '"@opentelemetry/api"',
      '"@azure/monitor-opentelemetry"',
    ]
      .map((m) => `await import(${m});`)
      .join(" "),
    7,
  );
  rows.push({
    name: "cold start: import of the bundled entry vs importing every SDK unbundled (minus an empty process)",
    measured: `${(bundled.ms - empty.ms).toFixed(0)} ms, ${bundled.rssMb.toFixed(0)} MB peak RSS`,
    baseline: `${(sdks.ms - empty.ms).toFixed(0)} ms, ${sdks.rssMb.toFixed(0)} MB peak RSS`,
    ratio: (bundled.ms - empty.ms) / (sdks.ms - empty.ms),
    goal: "≤ 0.3",
  });

  console.log("bench: rotation overhead (engine vs bare Key Vault writes)...");
  const overhead = await rotationOverhead(40);
  rows.push({
    name: `rotation of a random secret through the engine (lease, pending record, outbox, audit) vs the same Key Vault writes done bare, ${overhead.count} secrets`,
    measured: `${overhead.engineMs.toFixed(1)} ms/rotation`,
    baseline: `${overhead.bareMs.toFixed(1)} ms/rotation`,
    ratio: overhead.engineMs / overhead.bareMs,
    goal: "report only: the safety the protocol buys, priced",
  });

  for (const count of [10_000, 100_000]) {
    console.log(
      `bench: sweep of ${count} secrets vs a bare SecretClient listing (emulator in its own process)...`,
    );
    const r = await sweepScale(count);
    rows.push({
      name: `sweep (classify + JSON report) of ${count.toLocaleString("en")} secrets vs a bare SecretClient listing of the same vault`,
      measured: `${r.sweepMs.toFixed(0)} ms, +${r.sweepPeakMb.toFixed(1)} MB peak heap (garbage included), +${Math.max(0, r.sweepRetainedMb).toFixed(1)} MB held after GC`,
      baseline: `${r.listMs.toFixed(0)} ms, +${r.listPeakMb.toFixed(1)} MB peak heap`,
      ratio: r.sweepMs / r.listMs,
      goal: "≤ 1.15; memory flat as the vault grows",
    });
  }
  console.log("bench: rotation throughput on 1,000 due secrets under a Key Vault-like write limit...");
  const t = await rotationThroughput(1000, 150);
  rows.push({
    name: `sweep rotating ${t.due} due secrets (3 writes each) under a limit of ${t.limitPerSecond} secret writes/s: ${t.rotated} rotated, ${t.failed} failed, ${t.throttled} requests throttled`,
    measured: `${t.writesPerSecond.toFixed(1)} writes/s (${t.seconds.toFixed(1)} s)`,
    baseline: `${t.limitPerSecond} writes/s (the limit)`,
    ratio: t.writesPerSecond / t.limitPerSecond,
    goal: "≥ 0.9 with no failures",
  });

  console.log(
    "bench: single-credential window after a crash between apply and commit (about a minute a crash)...",
  );
  rows.push(await crashWindowRow(2));

  const lines = [
    "# Benchmark results",
    "",
    `Run ${new Date().toISOString()} on ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}. ` +
      "Every ratio compares two measurements taken in the same run.",
    "",
    `Bundle: dist/main.js is ${(bundleBytes / 1024).toFixed(0)} KiB.`,
    "",
    "| benchmark | measured | baseline | ratio | goal |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.name} | ${r.measured} | ${r.baseline} | ${r.ratio.toFixed(2)} | ${r.goal} |`),
    "",
  ];
  writeFileSync("bench/RESULTS.md", lines.join("\n"));
  console.log(lines.join("\n"));
}

await main();
