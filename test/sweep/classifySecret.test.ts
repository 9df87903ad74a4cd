import { describe, expect, it } from "vitest";
import { classifySecret, type ListedSecret } from "../../src/sweep/classifySecret.js";

const NOW = new Date("2026-11-23T12:00:00.000Z");
const DAY = 86_400_000;
const settings = { defaultValidityDays: 60, rotateBeforeExpiryDays: 30, pendingStuckMinutes: 60 };
const at = (days: number): Date => new Date(NOW.getTime() + days * DAY);
const managed = (extra: Partial<ListedSecret> = {}, tags: Record<string, string> = {}): ListedSecret => ({
  name: "s",
  enabled: true,
  createdOn: at(-1),
  tags: { RotatorType: "random", ...tags },
  ...extra,
});

describe("classification at a given moment", () => {
  it.each([
    [
      "unmanaged: no rotation tags",
      { name: "s", enabled: true, tags: { Owner: "x" }, expiresOn: at(-5) },
      "unmanaged",
      false,
    ],
    [
      "misconfigured: a tag that cannot be used",
      managed({ expiresOn: at(1) }, { ValidityPeriodDays: "abc" }),
      "misconfigured",
      false,
    ],
    ["ok: outside the due window", managed({ expiresOn: at(45) }), "ok", false],
    [
      "ok: one second before the window opens",
      managed({ expiresOn: new Date(at(30).getTime() + 1000) }),
      "ok",
      false,
    ],
    ["near-expiry: exactly 30 days left", managed({ expiresOn: at(30) }), "near-expiry", true],
    ["near-expiry: one day left", managed({ expiresOn: at(1) }), "near-expiry", true],
    ["expired: expires this very moment", managed({ expiresOn: at(0) }), "expired", true],
    ["expired: long ago", managed({ expiresOn: at(-40) }), "expired", true],
    [
      "a 30-day validity is due only in its last 15 days",
      managed({ expiresOn: at(20) }, { ValidityPeriodDays: "30" }),
      "ok",
      false,
    ],
    [
      "... and at 15 days it is",
      managed({ expiresOn: at(15) }, { ValidityPeriodDays: "30" }),
      "near-expiry",
      true,
    ],
    ["no-expiry: young", managed({ createdOn: at(-10) }), "no-expiry", true],
    ["overdue: no expiry and older than its validity", managed({ createdOn: at(-61) }), "overdue", true],
    [
      "disabled keeps its state and is never due",
      managed({ expiresOn: at(-1), enabled: false }),
      "expired",
      false,
    ],
  ] as const)("%s", (_label, secret, state, due) => {
    const c = classifySecret(secret as ListedSecret, NOW, settings);
    expect(c.state).toBe(state);
    expect(c.due).toBe(due);
  });

  it("a rotation staged over an hour ago is pending-stuck and due (to resume it); a fresh one is not stuck", () => {
    const secret = managed({ expiresOn: at(45) });
    expect(
      classifySecret(secret, NOW, settings, {
        rotationId: "r",
        stagedAt: new Date(NOW.getTime() - 2 * 3600_000),
      }),
    ).toMatchObject({
      state: "pending-stuck",
      due: true,
    });
    expect(
      classifySecret(secret, NOW, settings, {
        rotationId: "r",
        stagedAt: new Date(NOW.getTime() - 10 * 60_000),
      }).state,
    ).toBe("ok");
  });

  it("says why, and when a secret becomes due", () => {
    const c = classifySecret(managed({ expiresOn: at(45) }), NOW, settings);
    expect(c.dueAt?.toISOString()).toBe(at(15).toISOString());
    expect(c.detail).toContain("due 2026-12-08");
    expect(
      classifySecret(managed({ expiresOn: at(1) }, { ValidityPeriodDays: "0" }), NOW, settings).detail,
    ).toContain("tag ValidityPeriodDays");
  });
});

describe("the credential strategy, for the report's lockout-risk flag", () => {
  it("is known with or without a schedule or window", () => {
    const single = { ProviderAddress: "db.example.com:5432", CredentialId: "app", RotatorType: "postgres" };
    const extras: Record<string, string>[] = [
      {},
      { RotationSchedule: "30d" },
      { RotationWindow: "0 22 * * 0;4h" },
    ];
    for (const extra of extras)
      expect(
        classifySecret(managed({ expiresOn: at(45) }, { ...single, ...extra }), NOW, settings).strategy,
      ).toBe("single");
  });
});
