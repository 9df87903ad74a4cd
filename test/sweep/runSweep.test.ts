import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import type { ReportRow, ReportSummary } from "../../src/sweep/complianceReport.js";
import { JsonReportWriter } from "../../src/sweep/jsonReportWriter.js";
import { runSweep } from "../../src/sweep/runSweep.js";
import { pendingRecordName } from "../../src/vault/pendingRecord.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

let stack: RotationStack;
let app: RotatorApp;
const DAY = 86_400_000;
const TOTAL = 2000;
const dueNames: string[] = [];
beforeAll(async () => {
  stack = await startRotationStack({ vaultName: "sweepvault" });
  app = await stack.app({ env: { SWEEP_CONCURRENCY: "8" } });
  // Arrange thousands of secrets straight in the emulated vault: a tenth due, the rest ok, unmanaged or misconfigured.
  const store = stack.vault.emulator.store;
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < TOTAL; i += 1) {
    const name = `s${String(i).padStart(5, "0")}`;
    const kind = i % 10;
    if (kind === 0) {
      store.set(name, { value: `CANARY-${i}`, tags: { RotatorType: "random" }, exp: now + 5 * 86_400 });
      dueNames.push(name);
    } else if (kind < 8)
      store.set(name, { value: `CANARY-${i}`, tags: { RotatorType: "random" }, exp: now + 90 * 86_400 });
    else if (kind === 8) store.set(name, { value: `CANARY-${i}`, exp: now + 10 * 86_400 });
    else
      store.set(name, {
        value: `CANARY-${i}`,
        tags: { RotatorType: "random", ValidityPeriodDays: "x" },
        exp: now + 5 * 86_400,
      });
  }
}, 120_000);
afterAll(() => stack?.stop());

async function sweep(
  rotate: boolean,
  dryRun: boolean,
): Promise<{
  summary: ReportSummary;
  report: { secrets: ReportRow[]; summary: ReportSummary; schemaVersion: number };
}> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  const summary = await runSweep({
    vaults: app.vaults,
    settings: app.config,
    rotate,
    dryRun,
    engine: app.engine,
    trigger: "sweep",
    writers: [new JsonReportWriter(stream)],
    throttle: app.throttle,
  });
  return { summary, report: JSON.parse(Buffer.concat(chunks).toString("utf8")) as never };
}

function versionCount(name: string): number {
  return stack.vault.emulator.store.versionsOf(name).versions.length;
}

describe("compliance sweep over a large, throttled vault", () => {
  it("a dry run reports what would rotate and changes nothing", async () => {
    const { summary, report } = await sweep(true, true);
    expect(summary.wouldRotate).toBe(dueNames.length);
    expect(report.secrets).toHaveLength(TOTAL);
    expect(dueNames.every((n) => versionCount(n) === 1)).toBe(true);
    // Every managed row with an expiry says when it falls due (the report's "due" column).
    const managed = report.secrets.filter((r) => r.expiresOn && r.rotator);
    expect(managed.length).toBeGreaterThan(0);
    for (const row of managed)
      expect(Date.parse(row.dueAt ?? "")).toBeLessThanOrEqual(Date.parse(row.expiresOn ?? ""));
  });

  it("rotates every due secret exactly once and none that is not due, through 429s with and without Retry-After", async () => {
    // A tight limit at first (429s without Retry-After are certain, however fast this machine is), then a
    // looser one with Retry-After, so the test stays short.
    stack.vault.emulator.limiter.configure({ allTransactions: 20, windowMs: 1000, omitRetryAfter: true });
    const loosen = setTimeout(
      () => stack.vault.emulator.limiter.configure({ allTransactions: 300, windowMs: 1000 }),
      3000,
    );
    const { summary, report } = await sweep(true, false);
    clearTimeout(loosen);
    stack.vault.emulator.limiter.configure(undefined);
    expect(stack.vault.emulator.limiter.throttledCount).toBeGreaterThan(0);
    expect(summary.throttled).toBeGreaterThan(0);
    expect(summary.failed).toBe(0);
    expect(summary.rotated).toBe(dueNames.length);
    for (let i = 0; i < TOTAL; i += 1) {
      const name = `s${String(i).padStart(5, "0")}`;
      expect(versionCount(name), name).toBe(dueNames.includes(name) ? 2 : 1);
    }
    expect(report.schemaVersion).toBe(1);
    expect(report.secrets).toHaveLength(TOTAL);
    expect(report.summary.byState).toMatchObject({
      "near-expiry": dueNames.length,
      ok: 1400,
      unmanaged: 200,
      misconfigured: 200,
    });
    expect(report.secrets.filter((r) => r.action === "rotated")).toHaveLength(dueNames.length);
    expect(JSON.stringify(report)).not.toContain("CANARY");
  }, 240_000);

  it("reports a stuck rotation under its secret (never the pending record itself) and resumes it", async () => {
    const set = await stack.kv.setSecret("stuck", "CANARY-stuck", {
      tags: { RotatorType: "random" },
      expiresOn: new Date(Date.now() + 90 * DAY),
    });
    await stack.kv.setSecret(pendingRecordName("stuck"), "CANARY-stuck-new", {
      tags: {
        AkvRotatorPendingFor: "stuck",
        RotationId: "11111111-2222-3333-4444-555555555555",
        BaseVersion: set.properties.version as string,
        RotationTrigger: "event",
        StagedAt: new Date(Date.now() - 3 * 3600_000).toISOString(),
      },
    });
    // As a run that died after staging left it: the app's own index of open rotations names the rotation
    // (a pending record it does not name is never resumed).
    await app.openRotations.opened("sweepvault", "stuck", "11111111-2222-3333-4444-555555555555");
    const { report } = await sweep(true, false);
    expect(report.secrets.some((r) => r.secret === pendingRecordName("stuck"))).toBe(false);
    expect(report.secrets.find((r) => r.secret === "stuck")).toMatchObject({
      state: "pending-stuck",
      action: "rotated",
    });
    expect((await stack.kv.getSecret("stuck")).value).toBe("CANARY-stuck-new");
    expect((await stack.kv.getSecret("stuck")).properties.tags?.RotationId).toBe(
      "11111111-2222-3333-4444-555555555555",
    );
  }, 120_000);
});
