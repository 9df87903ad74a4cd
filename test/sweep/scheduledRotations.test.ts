import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import type { RotatedOutcome, SkippedOutcome } from "../../src/rotation/rotationOutcome.js";
import { nextWindow, openWindow, parseRotationPolicy } from "../../src/rotation/rotationSchedule.js";
import { readDueIndex } from "../../src/sweep/dueIndex.js";
import { runScheduledRotations } from "../../src/sweep/scheduledRotations.js";
import { sweepAndReport } from "../../src/sweep/sweepAndReport.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

const DAY = 86_400_000;
const WINDOW = "0 22 * * 0;4h"; // Sundays 22:00-02:00 UTC
const window = parseRotationPolicy("x", { RotationWindow: WINDOW }).window!;
let stack: RotationStack;
let app: RotatorApp;
/** The engine's clock: every decision in these tests is made at this instant. */
let clock = new Date();
// A month ahead: the window that opens then, a moment outside it (within the due index's two-day horizon), one inside.
const windowStart = nextWindow(window, new Date(Date.now() + 31 * DAY));
const outside = new Date(windowStart.getTime() - 20 * 3_600_000);
const inside = new Date(windowStart.getTime() + 30 * 60_000);

const versions = (name: string): number => stack.vault.emulator.store.versionsOf(name).versions.length;
async function secret(name: string, expiresOn: Date, tags: Record<string, string>): Promise<void> {
  await stack.kv.setSecret(name, `CANARY-${name}`, { expiresOn, tags: { RotatorType: "random", ...tags } });
}

beforeAll(async () => {
  stack = await startRotationStack({ vaultName: "schedvault" });
  app = await stack.app({ now: () => clock });
  expect(openWindow(window, outside)).toBeUndefined();
  expect(openWindow(window, inside)).toBeDefined();
});
afterAll(() => stack?.stop());

describe("rotation schedules and windows, through the engine's clock", () => {
  it("an event for a secret due by its schedule waits for the window, then rotates in it", async () => {
    await secret("sched-event", new Date(Date.now() + 120 * DAY), {
      RotationSchedule: "30d",
      RotationWindow: WINDOW,
    });
    clock = outside;
    const early = await app.engine.rotate({ vault: "schedvault", secret: "sched-event", trigger: "event" });
    expect(early.status).toBe("skipped");
    expect((early as SkippedOutcome).reason).toBe("not-due");
    expect((early as SkippedOutcome).detail).toContain(
      `deferred to its next window ${windowStart.toISOString()}`,
    );
    expect(versions("sched-event")).toBe(1);
    clock = inside;
    const inWindow = await app.engine.rotate({
      vault: "schedvault",
      secret: "sched-event",
      trigger: "event",
    });
    expect(inWindow.status).toBe("rotated");
    expect((inWindow as RotatedOutcome).reason).toBeUndefined();
    expect(versions("sched-event")).toBe(2);
  });

  it("once the window has closed, the event and the timer wait for the next one", async () => {
    await secret("sched-late", new Date(Date.now() + 120 * DAY), {
      RotationSchedule: "30d",
      RotationWindow: WINDOW,
    });
    const nextWeek = new Date(windowStart.getTime() + 7 * DAY).toISOString();
    clock = new Date(windowStart.getTime() + 4 * 3_600_000 + 60_000); // a minute after the 4-hour window
    const late = await app.engine.rotate({ vault: "schedvault", secret: "sched-late", trigger: "event" });
    expect(late.status).toBe("skipped");
    expect((late as SkippedOutcome).detail).toContain(`deferred to its next window ${nextWeek}`);
    const timer = await app.engine.rotate({
      vault: "schedvault",
      secret: "sched-late",
      trigger: "schedule",
      onlyIfDue: true,
    });
    expect(timer.status).toBe("skipped");
    expect(versions("sched-late")).toBe(1);
  });

  it("a secret that would expire before its next window rotates outside it, and the outcome says why", async () => {
    const expires = new Date(windowStart.getTime() - 3_600_000);
    await secret("expires-first", expires, { RotationWindow: WINDOW });
    clock = outside;
    const outcome = await app.engine.rotate({
      vault: "schedvault",
      secret: "expires-first",
      trigger: "event",
    });
    expect(outcome.status).toBe("rotated");
    const reason = `expires ${expires.toISOString()}, before its next window opens ${windowStart.toISOString()}`;
    expect((outcome as RotatedOutcome).reason).toBe(reason);
    const audit = stack.topic.events.find(
      (e) =>
        e.type === "AkvRotator.SecretRotated" && (e.data as { secret?: string }).secret === "expires-first",
    );
    expect((audit?.data as { reason?: string }).reason).toBe(reason);
  });

  it("the sweep defers to the window and indexes it; the frequent timer rotates it there, listing nothing", async () => {
    await secret("sched-sweep", new Date(Date.now() + 120 * DAY), {
      RotationSchedule: "30d",
      RotationWindow: WINDOW,
    });
    const forced = new Date(windowStart.getTime() - 2 * 3_600_000);
    await secret("sweep-expires-first", forced, { RotationWindow: WINDOW });
    clock = outside;
    const run = await sweepAndReport(app, { now: () => clock });
    expect(run.summary.failed).toBe(0);
    expect(versions("sched-sweep")).toBe(1);
    expect(versions("sweep-expires-first")).toBe(2);
    const { index } = await readDueIndex(app.container);
    expect(index.entries).toContainEqual({
      vault: "schedvault",
      secret: "sched-sweep",
      runAt: windowStart.toISOString(),
    });
    expect(index.entries.map((e) => e.secret)).not.toContain("sweep-expires-first");

    // Before the window: nothing due, and not one Key Vault call.
    const before = stack.vault.emulator.limiter.transactions;
    const idle = await runScheduledRotations(app, { now: () => clock });
    expect(idle.due).toBe(0);
    expect(stack.vault.emulator.limiter.transactions).toBe(before);
    expect(versions("sched-sweep")).toBe(1);

    clock = inside;
    const due = await runScheduledRotations(app, { now: () => clock });
    const mine = due.outcomes.find((o) => o.secret === "sched-sweep");
    expect(mine?.status).toBe("rotated");
    expect(mine?.trigger).toBe("schedule");
    expect(versions("sched-sweep")).toBe(2);
    expect((await readDueIndex(app.container)).index.entries.map((e) => e.secret)).not.toContain(
      "sched-sweep",
    );
  });

  it("a bad schedule tag is a misconfigured secret naming the tag, and nothing changes", async () => {
    await secret("bad-schedule", new Date(Date.now() + 5 * DAY), { RotationSchedule: "weekly" });
    clock = new Date();
    const outcome = await app.engine.rotate({
      vault: "schedvault",
      secret: "bad-schedule",
      trigger: "event",
    });
    expect(outcome.status).toBe("failed");
    expect(outcome.status === "failed" && outcome.error.code).toBe("MisconfiguredSecret");
    expect(outcome.status === "failed" && outcome.error.message).toContain("tag RotationSchedule");
    expect(versions("bad-schedule")).toBe(1);
  });
});
