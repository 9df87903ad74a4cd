import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { request } from "node:https";
import { BlobServiceClient } from "@azure/storage-blob";
import { startAzurite } from "../local/azurite/startAzurite.js";
import { loadConfig } from "../src/config.js";
import { createVaultGateways } from "../src/rotation/createEngine.js";
import { reportUploads } from "../src/sweep/reportStore.js";
import { runSweep } from "../src/sweep/runSweep.js";
import { EmulatorCredential } from "../src/vault/emulatorCredential.js";
import { ThrottleSignal } from "../src/vault/throttlePolicy.js";

export interface ScaleResult {
  secrets: number;
  listMs: number;
  sweepMs: number;
  listPeakMb: number;
  sweepPeakMb: number;
  /** Heap still held after the sweep and a full GC. */
  sweepRetainedMb: number;
  /** List requests (pages) one sweep makes. */
  pages: number;
  /** The same sweep with the emulator limiting all transactions: its rate against the limit's. */
  limited?: {
    transactionsPerSecond: number;
    limitPer10s: number;
    ms: number;
    /** The least time the limit permits for `pages` requests: a full window for each `limitPer10s` after the first. */
    minMs: number;
    throttled: number;
  };
}

interface Measured {
  ms: number;
  peakMb: number;
  retainedMb: number;
}

/** A vault state file with `count` secrets (a mix of states), for the emulator to load. */
async function writeState(dir: string, count: number): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const secrets = [];
  for (let i = 0; i < count; i += 1) {
    const kind = i % 10;
    const tags =
      kind < 7
        ? { RotatorType: "random" }
        : kind < 9
          ? { Owner: "team" }
          : { RotatorType: "random", ValidityPeriodDays: "x" };
    secrets.push({
      name: `bench-${String(i).padStart(6, "0")}`,
      versions: [
        {
          version: randomUUID().replaceAll("-", ""),
          value: "v",
          tags,
          enabled: true,
          exp: now + (40 + (i % 200)) * 86_400,
          created: now,
          updated: now,
          nearExpiryRaised: true,
        },
      ],
    });
  }
  await writeFile(path.join(dir, "keyvault-bench.json"), JSON.stringify({ format: 1, secrets, deleted: [] }));
}

async function startEmulator(dataDir: string): Promise<{ url: string; ca: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "local/keyvault/cli.ts",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      "--vault-name",
      "bench",
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`emulator exited ${code}`)));
  });
  const ready = JSON.parse(line) as { url: string; caCertPath: string };
  return { url: ready.url, ca: await readFile(ready.caCertPath, "utf8"), child };
}

/** Peak heap while `fn` runs, sampled every 20 ms, after a GC when exposed. */
async function measure(fn: () => Promise<void>): Promise<Measured> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 20);
  const started = performance.now();
  const cpu = process.cpuUsage();
  await fn();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (process.env.BENCH_DEBUG)
    console.error(`wall ${ms.toFixed(0)} ms, cpu ${((used.user + used.system) / 1000).toFixed(0)} ms`);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  // What stays once the garbage is collected: the peak above is mostly garbage V8 had not collected yet.
  (globalThis as { gc?: () => void }).gc?.();
  const retainedMb = (process.memoryUsage().heapUsed - base) / 2 ** 20;
  return { ms, peakMb: (peak - base) / 2 ** 20, retainedMb };
}

/** Calls the emulator's admin API (local/keyvault/README.md): throttling, and its count of throttled requests. */
async function admin(
  url: string,
  ca: string,
  method: string,
  route: string,
  body?: object,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/_emulator${route}`,
      { method, ca, headers: { "content-type": "application/json" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as unknown));
      },
    );
    req.on("error", reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

async function throttledSoFar(url: string, ca: string): Promise<number> {
  return ((await admin(url, ca, "GET", "")) as { throttled?: number }).throttled ?? 0;
}

/**
 * The sweep as the timer runs it (classify, JSON and HTML reports streamed to the blob store) against a listing
 * of the same vault with the same read-ahead (the gateway's page reader, four pages ahead), alternated, best
 * of five each; the emulator in its own process. Then one sweep with the emulator limiting all transactions
 * (`limitPer10s` per 10 s window), against the least time that limit permits for the same requests.
 */
export async function sweepScale(count: number, limitPer10s?: number): Promise<ScaleResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-sweep-"));
  await writeState(dir, count);
  const [emulator, azurite] = await Promise.all([startEmulator(dir), startAzurite()]);
  try {
    const credential = new EmulatorCredential();
    const caFile = path.join(dir, "ca.pem");
    await writeFile(caFile, emulator.ca);
    const config = loadConfig(
      { AKV_ROTATOR_CREDENTIAL: "emulator", AKV_ROTATOR_TLS_CA_FILE: caFile },
      { vaults: [{ name: "bench", url: emulator.url }], requireStorage: false },
    );
    const throttleSignal = new ThrottleSignal();
    const gateways = createVaultGateways(config, credential, throttleSignal);
    const gateway = gateways.get("bench");
    if (!gateway) throw new Error("no gateway for the bench vault");
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      "akv-rotator",
    );
    await container.createIfNotExists();
    let pages = 0;
    const listOnce = async (): Promise<Measured> => {
      let listed = 0;
      pages = 0;
      const m = await measure(async () => {
        for await (const page of gateway.listPropertyPages()) {
          listed += page.length;
          pages += 1;
        }
      });
      if (listed !== count) throw new Error(`listed ${listed} of ${count}`);
      return m;
    };
    const sweepOnce = async (): Promise<Measured> => {
      let total = 0;
      const m = await measure(async () => {
        const uploads = reportUploads(container, new Date());
        const summary = await runSweep({
          vaults: gateways,
          settings: config,
          rotate: false,
          dryRun: false,
          trigger: "sweep",
          writers: uploads.writers,
          throttle: throttleSignal,
        });
        await uploads.done;
        total = summary.total;
      });
      if (total !== count) throw new Error(`swept ${total} of ${count}`);
      return m;
    };
    // Alternate, and keep each one's best of five: both warm, neither favoured by order, less of the noise
    // of a shared two-core machine.
    const lists: Measured[] = [];
    const sweeps: Measured[] = [];
    for (let i = 0; i < 5; i += 1) {
      lists.push(await listOnce());
      sweeps.push(await sweepOnce());
    }
    const best = (xs: Measured[]): Measured => ({
      ms: Math.min(...xs.map((x) => x.ms)),
      peakMb: Math.max(...xs.map((x) => x.peakMb)),
      retainedMb: Math.max(...xs.map((x) => x.retainedMb)),
    });
    const list = best(lists);
    const sweep = best(sweeps);
    let limited: ScaleResult["limited"];
    if (limitPer10s) {
      // Key Vault's 10 s window, with its whole-second Retry-After: a shorter window would make the
      // Retry-After's rounding as long as the window itself.
      await admin(emulator.url, emulator.ca, "PUT", "/throttle", {
        allTransactions: limitPer10s,
        windowMs: 10_000,
      });
      const before = await throttledSoFar(emulator.url, emulator.ca);
      const m = await sweepOnce();
      const after = await throttledSoFar(emulator.url, emulator.ca);
      limited = {
        ms: m.ms,
        transactionsPerSecond: pages / (m.ms / 1000),
        limitPer10s,
        minMs: Math.floor((pages - 1) / limitPer10s) * 10_000,
        throttled: after - before,
      };
    }
    return {
      secrets: count,
      listMs: list.ms,
      sweepMs: sweep.ms,
      listPeakMb: list.peakMb,
      sweepPeakMb: sweep.peakMb,
      sweepRetainedMb: sweep.retainedMb,
      pages,
      ...(limited ? { limited } : {}),
    };
  } finally {
    emulator.child.kill("SIGINT");
    await azurite.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
