import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startAzurite } from "../local/azurite/startAzurite.js";
import { KeyVaultEmulator } from "../local/keyvault/keyVaultEmulator.js";
import { loadConfig } from "../src/config.js";
import { silentLogger } from "../src/logging/logger.js";
import { createRotatorApp } from "../src/rotation/createEngine.js";
import { nextWindow, parseRotationPolicy } from "../src/rotation/rotationSchedule.js";
import { runScheduledRotations } from "../src/sweep/scheduledRotations.js";
import { sweepAndReport } from "../src/sweep/sweepAndReport.js";

const DAY = 86_400_000;

export interface ScheduledCostRow {
  name: string;
  measured: string;
  baseline: string;
  ratio: number;
  goal: string;
}

/**
 * The frequent timer's cost per run, in Key Vault transactions counted at the emulator (every request that
 * reaches its request limiter), against the full listing a sweep makes of the same vault. `count` secrets, of
 * which `due` have `RotationSchedule=1d` and a daily one-hour `RotationWindow` that opens a few hours after the
 * sweep: the sweep defers them and indexes them; the timer runs once before the window (nothing due) and once
 * inside it (all `due` rotate). The engine's clock is moved, the vault's is not.
 */
export async function scheduledRotationCost(count: number, due: number): Promise<ScheduledCostRow[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-scheduled-"));
  const sweepAt = new Date(Date.now() + 2 * DAY);
  const windowTag = `0 ${(sweepAt.getUTCHours() + 6) % 24} * * *;1h`;
  const windowStart = nextWindow(parseRotationPolicy("x", { RotationWindow: windowTag }).window!, sweepAt);
  const now = Math.floor(Date.now() / 1000);
  const secrets = [];
  for (let i = 0; i < count; i += 1) {
    const scheduled = i % Math.floor(count / due) === 0;
    const tags: Record<string, string> = scheduled
      ? { RotatorType: "random", RotationSchedule: "1d", RotationWindow: windowTag }
      : i % 2 === 0
        ? { RotatorType: "random" }
        : { Owner: "team" };
    secrets.push({
      name: `sched-${String(i).padStart(6, "0")}`,
      versions: [
        {
          version: randomUUID().replaceAll("-", ""),
          value: "v",
          tags,
          enabled: true,
          exp: now + (90 + (i % 200)) * 86_400,
          created: now,
          updated: now,
          nearExpiryRaised: true,
        },
      ],
    });
  }
  await writeFile(path.join(dir, "keyvault-sched.json"), JSON.stringify({ format: 1, secrets, deleted: [] }));
  const vault = await new KeyVaultEmulator({
    dataDir: dir,
    vaultName: "sched",
    expiryCheckIntervalMs: 0,
  }).start();
  const azurite = await startAzurite();
  try {
    const caFile = path.join(dir, "ca.pem");
    await writeFile(caFile, await readFile(vault.caCertPath, "utf8"));
    let clock = sweepAt;
    const app = await createRotatorApp(
      loadConfig({
        KEYVAULT_URIS: `sched=${vault.url}`,
        AzureWebJobsStorage: azurite.connectionString,
        AKV_ROTATOR_CREDENTIAL: "emulator",
        AKV_ROTATOR_TLS_CA_FILE: caFile,
      }),
      { logger: silentLogger, now: () => clock },
    );
    const calls = async (fn: () => Promise<unknown>): Promise<number> => {
      const before = vault.limiter.transactions;
      await fn();
      return vault.limiter.transactions - before;
    };
    let sweepRotated = 0;
    const sweepCalls = await calls(async () => {
      sweepRotated = (await sweepAndReport(app, { now: () => clock })).summary.rotated;
    });
    const pageCalls = Math.ceil(count / 25);
    const idleCalls = await calls(() => runScheduledRotations(app, { now: () => clock }));
    clock = new Date(windowStart.getTime() + 5 * 60_000);
    // Calls made inside the engine's rotations, to tell them from what the timer spends finding its work.
    let inRotations = 0;
    const rotate = app.engine.rotate.bind(app.engine);
    app.engine.rotate = async (request) => {
      const before = vault.limiter.transactions;
      const outcome = await rotate(request);
      inRotations += vault.limiter.transactions - before;
      return outcome;
    };
    let rotated = 0;
    const dueCalls = await calls(async () => {
      const run = await runScheduledRotations(app, { now: () => clock });
      rotated = run.outcomes.filter((o) => o.status === "rotated").length;
    });
    if (sweepRotated !== 0 || rotated !== due)
      throw new Error(
        `expected the sweep to defer all and the timer to rotate ${due}; got ${sweepRotated}, ${rotated}`,
      );
    const perRotation = inRotations / due;
    const finding = dueCalls - inRotations;
    const label = `${count.toLocaleString("en")} secrets, ${due} due in a window`;
    return [
      {
        name: `frequent timer, a run before the window (${label}): Key Vault calls vs a full sweep's calls (the listing, ${pageCalls} pages of 25)`,
        measured: `${idleCalls} calls (one blob read of the due index)`,
        baseline: `${sweepCalls} calls`,
        ratio: idleCalls / sweepCalls,
        goal: "< 0.01",
      },
      {
        name: `frequent timer, the run in the window (${label}): calls to find what is due vs a full sweep's calls; then ${due} rotations at ${perRotation.toFixed(1)} calls each, as from any trigger`,
        measured: `${finding} calls to find them, ${dueCalls} in all with the rotations`,
        baseline: `${sweepCalls} calls to find them by listing, ${sweepCalls + inRotations} in all with the same rotations`,
        ratio: finding / sweepCalls,
        goal:
          "< 0.01 (finding what is due); in all " +
          ((dueCalls / (sweepCalls + inRotations)) * 100).toFixed(1) +
          " %",
      },
    ];
  } finally {
    await vault.stop();
    await azurite.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
