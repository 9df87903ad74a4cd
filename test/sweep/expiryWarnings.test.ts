import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import { nextWindow, parseRotationPolicy } from "../../src/rotation/rotationSchedule.js";
import { runScheduledRotations } from "../../src/sweep/scheduledRotations.js";
import { sweepAndReport } from "../../src/sweep/sweepAndReport.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

const DAY = 86_400_000;
let stack: RotationStack;
let app: RotatorApp;
let clock = new Date();

type Warning = { id: string; data: Record<string, unknown> };
const warnings = (secret?: string): Warning[] =>
  stack.topic.events
    .filter((e) => e.type === "AkvRotator.SecretExpiryWarning")
    .map((e) => ({ id: e.id, data: e.data as Record<string, unknown> }))
    .filter((w) => secret === undefined || w.data.secret === secret);

beforeAll(async () => {
  stack = await startRotationStack({ vaultName: "warnvault" });
  app = await stack.app({ now: () => clock, env: { EXPIRY_WARNING_DAYS: "30,14,7,1" } });
  const inDays = (d: number): Date => new Date(Date.now() + d * DAY);
  await stack.kv.setSecret("hand-made", "CANARY-hand-made", {
    expiresOn: inDays(20),
    tags: { Owner: "team-payments" },
  });
  await stack.kv.setSecret("far-away", "CANARY-far-away", { expiresOn: inDays(60) });
  await stack.kv.setSecret("bad-tags", "CANARY-bad-tags", {
    expiresOn: inDays(5),
    tags: { RotatorType: "random", ValidityPeriodDays: "soon", Owner: "team-orders" },
  });
  await stack.kv.setSecret("failing", "CANARY-failing", {
    expiresOn: inDays(10),
    // Nothing listens on port 1: every rotation fails (TargetUnreachable).
    tags: { RotatorType: "postgres", ProviderAddress: "127.0.0.1:1", CredentialId: "app", Owner: "team-db" },
  });
  await stack.kv.setSecret("healthy", "CANARY-healthy", {
    expiresOn: inDays(20),
    tags: { RotatorType: "random" },
  });
});
afterAll(() => stack?.stop());

describe("expiry warnings", () => {
  it("warns at the lead time reached, with the owner, for what will not renew itself; once per lead time", async () => {
    clock = new Date();
    await sweepAndReport(app, { now: () => clock });
    const hand = warnings("hand-made");
    expect(hand).toHaveLength(1);
    expect(hand[0]?.data).toMatchObject({
      reason: "not-rotated",
      leadDays: 30,
      owner: "team-payments",
      state: "unmanaged",
    });
    expect(warnings("bad-tags")[0]?.data).toMatchObject({
      reason: "misconfigured",
      leadDays: 7,
      owner: "team-orders",
    });
    expect(warnings("failing")[0]?.data).toMatchObject({
      reason: "rotation-failing",
      leadDays: 14,
      failures: 1,
      owner: "team-db",
    });
    expect(String(warnings("failing")[0]?.data.detail)).toMatch(
      /failed 1 time\(s\) in a row.*TargetUnreachable/,
    );
    expect(warnings("far-away")[0]?.data ?? {}).not.toHaveProperty("owner");
    expect(warnings("far-away")).toHaveLength(0);
    expect(warnings("healthy")).toHaveLength(0);

    // The next sweep, same day: nothing new.
    const count = warnings().length;
    await sweepAndReport(app, { now: () => clock });
    expect(warnings()).toHaveLength(count);

    // A week later: the hand-made secret crosses 14 days, the failing one 7.
    clock = new Date(Date.now() + 7 * DAY);
    await sweepAndReport(app, { now: () => clock });
    expect(warnings("hand-made").map((w) => w.data.leadDays)).toEqual([30, 14]);
    expect(warnings("failing").map((w) => w.data.leadDays)).toEqual([14, 7]);
    // Three sweeps, three failures in a row: the count goes on across runs.
    expect(warnings("failing")[1]?.data).toMatchObject({ failures: 3, owner: "team-db" });
    // Expired by then: the last lead time (1 day) applies.
    expect(warnings("bad-tags").map((w) => w.data.leadDays)).toEqual([7, 1]);
    expect(new Set(warnings().map((w) => w.id)).size).toBe(warnings().length);
  });

  it("a new version is warned afresh; no warning carries a secret value", async () => {
    await stack.kv.setSecret("hand-made", "CANARY-hand-made-2", {
      expiresOn: new Date(Date.now() + 12 * DAY),
      tags: { Owner: "team-payments" },
    });
    await sweepAndReport(app, { now: () => clock });
    const hand = warnings("hand-made");
    expect(hand.map((w) => w.data.leadDays)).toEqual([30, 14, 7]);
    expect(JSON.stringify(stack.topic.events)).not.toContain("CANARY");
  });

  it("a rotation that keeps failing in its window (the frequent timer) is warned by the next sweep, with the owner", async () => {
    // A daily one-hour window six hours after the clock; expiry after it, within the 14-day lead time.
    const windowTag = `0 ${(clock.getUTCHours() + 6) % 24} * * *;1h`;
    const start = nextWindow(parseRotationPolicy("x", { RotationWindow: windowTag }).window!, clock);
    await stack.kv.setSecret("window-failing", "CANARY-window-failing", {
      expiresOn: new Date(clock.getTime() + 10 * DAY),
      tags: {
        RotatorType: "postgres",
        ProviderAddress: "127.0.0.1:1",
        CredentialId: "app",
        RotationWindow: windowTag,
        Owner: "team-window",
      },
    });
    // Outside the window: deferred, not failing, so no warning yet.
    await sweepAndReport(app, { now: () => clock });
    expect(warnings("window-failing")).toHaveLength(0);
    clock = new Date(start.getTime() + 5 * 60_000);
    const run = await runScheduledRotations(app, { now: () => clock });
    expect(run.outcomes.find((o) => o.secret === "window-failing")?.status).toBe("failed");
    clock = new Date(start.getTime() + 2 * 3_600_000);
    await sweepAndReport(app, { now: () => clock });
    expect(warnings("window-failing").map((w) => w.data)).toEqual([
      expect.objectContaining({
        reason: "rotation-failing",
        leadDays: 14,
        failures: 1,
        owner: "team-window",
      }),
    ]);
    expect(JSON.stringify(stack.topic.events)).not.toContain("CANARY");
  });
});
