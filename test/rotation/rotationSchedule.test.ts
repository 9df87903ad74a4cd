import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SecretTagError } from "../../src/errors.js";
import { decideRotation } from "../../src/rotation/rotationDecision.js";
import { planRotation } from "../../src/rotation/rotationPlan.js";
import { nextWindow, openWindow, parseRotationPolicy } from "../../src/rotation/rotationSchedule.js";

const DAY = 86_400_000;
const at = (iso: string): Date => new Date(iso);
// 2026-11-29 is a Sunday.
const SUNDAY_NIGHTS = { RotationWindow: "0 22 * * 0;4h" };

describe("RotationSchedule and RotationWindow tags", () => {
  it("parses an interval, a cron in UTC and a window", () => {
    const p = parseRotationPolicy("s", { RotationSchedule: "30d", ...SUNDAY_NIGHTS });
    expect(p.schedule).toEqual({ kind: "interval", days: 30 });
    expect(p.window?.durationMs).toBe(4 * 3_600_000);
    expect(nextWindow(p.window!, at("2026-11-24T13:00:00Z")).toISOString()).toBe("2026-11-29T22:00:00.000Z");
    expect(openWindow(p.window!, at("2026-11-30T01:59:00Z"))?.start.toISOString()).toBe(
      "2026-11-29T22:00:00.000Z",
    );
    expect(openWindow(p.window!, at("2026-11-30T02:00:00Z"))).toBeUndefined();
    expect(openWindow(p.window!, at("2026-11-29T21:59:59Z"))).toBeUndefined();
    const cron = parseRotationPolicy("s", { RotationSchedule: "0 3 1 * *" });
    expect(cron.schedule?.kind).toBe("cron");
    expect(parseRotationPolicy("s", {})).toEqual({});
  });

  it.each([
    ["RotationSchedule", "30"],
    ["RotationSchedule", "0d"],
    ["RotationSchedule", "9999d"],
    ["RotationSchedule", "every sunday"],
    ["RotationSchedule", "0 0 3 * * *"],
    ["RotationSchedule", "61 * * * *"],
    ["RotationSchedule", "0 0 31 2 *"],
    ["RotationWindow", "0 22 * * 0"],
    ["RotationWindow", "0 22 * * 0;4"],
    ["RotationWindow", "0 22 * * 0;8d"],
    ["RotationWindow", "0 22 * * 0;4h;1h"],
    ["RotationWindow", "0 25 * * 0;4h"],
    ["RotationWindow", "0 22 * * 0\n;4h"],
  ])("refuses %s=%j with an error naming the tag", (tag, value) => {
    expect(() => parseRotationPolicy("orders-db", { [tag]: value })).toThrow(SecretTagError);
    try {
      parseRotationPolicy("orders-db", { [tag]: value });
    } catch (error) {
      expect((error as SecretTagError).tag).toBe(tag);
      expect((error as Error).message).toContain("orders-db");
    }
  });

  it("never throws anything but a SecretTagError, whatever the tags say", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (schedule, window) => {
        try {
          parseRotationPolicy("s", { RotationSchedule: schedule, RotationWindow: window });
        } catch (error) {
          expect(error).toBeInstanceOf(SecretTagError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a plan carries the policy, and a bad schedule tag makes the secret misconfigured", () => {
    const plan = planRotation("s", { RotatorType: "random", RotationSchedule: "7d" }, 60);
    expect(plan.managed && plan.plan.policy.schedule).toEqual({ kind: "interval", days: 7 });
    expect(() => planRotation("s", { RotatorType: "random", RotationSchedule: "weekly" }, 60)).toThrow(
      /tag RotationSchedule/,
    );
  });
});

describe("the due decision", () => {
  const created = at("2026-10-25T12:00:00Z");
  const policy = parseRotationPolicy("s", { RotationSchedule: "30d", ...SUNDAY_NIGHTS });
  const input = (now: string, expires?: string): Parameters<typeof decideRotation>[0] => ({
    now: at(now),
    createdOn: created,
    ...(expires ? { expiresOn: at(expires) } : {}),
    dueBeforeExpiryDays: 30,
    policy,
  });

  it("not due before the schedule says so", () => {
    const d = decideRotation(input("2026-11-20T23:00:00Z", "2027-06-01T00:00:00Z"));
    expect(d.kind).toBe("not-due");
    expect(d.kind === "not-due" && d.dueAt.toISOString()).toBe("2026-11-24T12:00:00.000Z");
  });

  it("due by schedule outside the window: deferred to the window's start", () => {
    const d = decideRotation(input("2026-11-25T10:00:00Z", "2027-06-01T00:00:00Z"));
    expect(d.kind).toBe("deferred");
    expect(d.kind === "deferred" && d.windowStart.toISOString()).toBe("2026-11-29T22:00:00.000Z");
  });

  it("due inside the window: rotate", () => {
    expect(decideRotation(input("2026-11-29T23:30:00Z", "2027-06-01T00:00:00Z")).kind).toBe("due");
  });

  it("would expire before the next window: rotate now, and say why", () => {
    const d = decideRotation(input("2026-11-25T10:00:00Z", "2026-11-28T00:00:00Z"));
    expect(d.kind).toBe("due-before-expiry");
    expect(d.kind === "due-before-expiry" && d.reason).toBe(
      "expires 2026-11-28T00:00:00.000Z, before its next window opens 2026-11-29T22:00:00.000Z",
    );
    // Expiring after the window opens: it waits for the window.
    expect(decideRotation(input("2026-11-25T10:00:00Z", "2026-11-30T00:00:00Z")).kind).toBe("deferred");
  });

  it("the earlier of schedule and expiry decides; without either tag the expiry alone does", () => {
    const plain = {
      now: at("2026-11-20T00:00:00Z"),
      createdOn: created,
      dueBeforeExpiryDays: 30,
      policy: {},
    };
    expect(decideRotation({ ...plain, expiresOn: at("2026-12-10T00:00:00Z") }).kind).toBe("due");
    expect(decideRotation({ ...plain, expiresOn: at("2027-01-10T00:00:00Z") }).kind).toBe("not-due");
    expect(decideRotation(plain).kind).toBe("due");
    const cron = parseRotationPolicy("s", { RotationSchedule: "0 3 1 * *" });
    const byCron = decideRotation({ ...plain, policy: cron, expiresOn: at("2027-06-01T00:00:00Z") });
    // Created 25 October: the first 1st-of-the-month 03:00 after that has passed.
    expect(byCron.kind === "due" && byCron.dueAt?.toISOString()).toBe("2026-11-01T03:00:00.000Z");
  });

  it("rotations happen in the window and only there (every hour of four weeks)", () => {
    const start = Date.parse("2026-11-24T12:00:00Z");
    for (let h = 0; h < 28 * 24; h += 1) {
      const now = new Date(start + h * 3_600_000);
      const d = decideRotation({
        now,
        createdOn: created,
        expiresOn: at("2027-06-01T00:00:00Z"),
        dueBeforeExpiryDays: 30,
        policy,
      });
      const inWindow =
        now.getUTCDay() === 0 ? now.getUTCHours() >= 22 : now.getUTCDay() === 1 && now.getUTCHours() < 2;
      expect(d.kind === "due", now.toISOString()).toBe(inWindow);
    }
    expect(DAY).toBe(86_400_000);
  });
});
