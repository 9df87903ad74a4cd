import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SecretTagError } from "../../src/errors.js";
import { committedTags, planRotation } from "../../src/rotation/rotationPlan.js";

const pgId =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg1";

describe("tags -> rotation plan", () => {
  it("leaves a secret with neither ProviderAddress nor RotatorType unmanaged", () => {
    expect(planRotation("s", { CredentialId: "x", Owner: "y" }, 60)).toEqual({ managed: false });
  });

  it("infers the rotator from the resource type, as Microsoft's samples tag secrets", () => {
    const result = planRotation(
      "s",
      { ProviderAddress: pgId, CredentialId: "app", ValidityPeriodDays: "30" },
      60,
    );
    expect(result.managed && result.plan).toMatchObject({
      rotatorType: "postgres",
      strategy: "single",
      credentialId: "app",
      activeCredentialId: "app",
      validityDays: 30,
    });
  });

  it("plans dual rotation of the alternate credential", () => {
    const result = planRotation(
      "s",
      { ProviderAddress: pgId, CredentialId: "a", AlternateCredentialId: "b" },
      60,
    );
    expect(result.managed && result.plan).toMatchObject({
      strategy: "dual",
      credentialId: "b",
      activeCredentialId: "a",
    });
  });

  it.each([
    ["ValidityPeriodDays", { RotatorType: "random", ValidityPeriodDays: "abc" }],
    ["ValidityPeriodDays", { RotatorType: "random", ValidityPeriodDays: "0" }],
    ["ValidityPeriodDays", { RotatorType: "random", ValidityPeriodDays: "1.5" }],
    ["ValidityPeriodDays", { RotatorType: "random", ValidityPeriodDays: "" }],
    ["RotatorType", { RotatorType: "Postgres" }],
    ["ProviderAddress", { ProviderAddress: "myserver.database.windows.net" }],
    [
      "ProviderAddress",
      { ProviderAddress: "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts" },
    ],
    [
      "(all tags)",
      { RotatorType: "random", ...Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, "v"])) },
    ],
  ])("names %s when the tags are %j", (tag, tags) => {
    expect(() => planRotation("my-secret", tags, 60)).toThrow(SecretTagError);
    expect(() => planRotation("my-secret", tags, 60)).toThrow(`secret 'my-secret': tag ${tag}`);
  });

  it("carries every tag forward, adds the rotation tags and flips the pair in dual mode", () => {
    const result = planRotation(
      "s",
      { ProviderAddress: pgId, CredentialId: "a", AlternateCredentialId: "b", Team: "x" },
      60,
    );
    if (!result.managed) throw new Error("expected managed");
    const at = new Date("2026-11-23T10:00:00Z");
    expect(
      committedTags(
        { ProviderAddress: pgId, CredentialId: "a", AlternateCredentialId: "b", Team: "x" },
        result.plan,
        { rotationId: "r1", trigger: "event", previousVersion: "v1", at },
      ),
    ).toEqual({
      ProviderAddress: pgId,
      CredentialId: "b",
      AlternateCredentialId: "a",
      Team: "x",
      RotatedAt: "2026-11-23T10:00:00.000Z",
      RotationTrigger: "event",
      RotationId: "r1",
      PreviousVersion: "v1",
    });
  });

  it.each([
    ["sql-login", "Microsoft.Storage/storageAccounts/x"],
    ["sql-admin", "Microsoft.Sql/servers/x/databases/y"],
    ["storage-key", "Microsoft.DocumentDB/databaseAccounts/x"],
    ["cosmos-key", "Microsoft.Cache/redis/x"],
    ["redis-key", "Microsoft.Storage/storageAccounts/x"],
    ["entra-app-secret", "Microsoft.Storage/storageAccounts/x"],
  ])(
    "%s with a ProviderAddress of another type is a configuration error naming the tag",
    (type, resource) => {
      const tags = {
        RotatorType: type,
        ProviderAddress: `/subscriptions/s/resourceGroups/g/providers/${resource}`,
        CredentialId: type === "cosmos-key" || type === "redis-key" ? "Primary" : "key1",
      };
      expect(() => planRotation("orders", tags, 60)).toThrow(SecretTagError);
      expect(() => planRotation("orders", tags, 60)).toThrow(/orders.*ProviderAddress/);
      // A truncated resource ID is the same clear error, never an index out of range.
      const truncated = { ...tags, ProviderAddress: "/subscriptions/s/resourceGroups/g/providers/" };
      expect(() => planRotation("orders", truncated, 60)).toThrow(/ProviderAddress/);
    },
  );

  it("never crashes on arbitrary tags: a plan, unmanaged, or a SecretTagError", () => {
    const tagNames = fc.constantFrom(
      "ProviderAddress",
      "RotatorType",
      "CredentialId",
      "AlternateCredentialId",
      "ValidityPeriodDays",
      "AdminSecretName",
      "Other",
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          tagNames,
          fc.oneof(fc.string(), fc.constantFrom("postgres", "random", pgId, "127.0.0.1:5432/db")),
        ),
        (tags) => {
          try {
            planRotation("s", tags, 60);
          } catch (error) {
            expect(error).toBeInstanceOf(SecretTagError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("planRotation: control characters in tags (property)", () => {
  const TAGS = [
    "ProviderAddress",
    "CredentialId",
    "DatabaseName",
    "AdminSecretName",
    "AlternateCredentialId",
  ];
  it("a control character anywhere in any tag value is a SecretTagError naming that tag", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TAGS),
        fc.string({ maxLength: 12 }),
        fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f),
        fc.string({ maxLength: 12 }),
        (tag, before, code, after) => {
          const tags: Record<string, string> = {
            RotatorType: "postgres",
            ProviderAddress: "127.0.0.1:5432/db",
            CredentialId: "app",
            [tag]: `${before}${String.fromCharCode(code)}${after}`,
          };
          try {
            planRotation("s", tags, 60);
            return false;
          } catch (error) {
            return (
              error instanceof SecretTagError && error.tag === tag && /control character/.test(error.message)
            );
          }
        },
      ),
    );
  });
});
