import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
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
    tags: { RotatorType: "postgres", ProviderAddress: "127.0.0.1:1", CredentialId: "app" },
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
    expect(warnings("failing")[0]?.data).toMatchObject({ reason: "rotation-failing", leadDays: 14 });
    expect(warnings("failing")[0]?.data).not.toHaveProperty("owner");
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
});
