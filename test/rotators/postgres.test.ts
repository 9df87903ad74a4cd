import { azureContext, runFields } from "../helpers/rotatorContext.js";
import { describe, expect, it } from "vitest";
import { SecretTagError } from "../../src/errors.js";
import { postgresRotator } from "../../src/rotators/postgres.js";
import { parsePostgresTarget } from "../../src/rotators/postgresTarget.js";
import { startPostgresFixture, type PostgresFixture } from "../helpers/postgresFixture.js";
import { rotatorContract } from "./contract.js";

let pgfx: PostgresFixture;
let seq = 0;

rotatorContract("postgres", () => ({
  rotator: postgresRotator,
  requiredTags: ["ProviderAddress", "CredentialId"],
  verifyRejectsWrongValue: true,
  setup: async () => {
    pgfx = await startPostgresFixture();
  },
  teardown: () => pgfx.stop(),
  arrange: async (id) => {
    const role = `contract_${id}_${(seq += 1)}`;
    await pgfx.createRole(role, `CANARY-${role}`);
    return {
      tags: { CredentialId: role, ProviderAddress: pgfx.address, RotatorType: "postgres" },
      value: `CANARY-${role}`,
    };
  },
  accepts: (tags, value) => pgfx.canLogin(tags.CredentialId as string, value),
}));

describe("postgres target from tags", () => {
  it("refuses a database part that decodes to control characters (startup-parameter injection)", () => {
    for (const db of ["postgres%00options%00-c%20search_path%3Devil", "x%0Ay", "%00", "%7F"])
      expect(() =>
        parsePostgresTarget({ ProviderAddress: `127.0.0.1:5432/${db}`, CredentialId: "app" }, "s"),
      ).toThrow(/ProviderAddress.*control character/);
  });

  const id =
    "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/my-pg";
  it("maps a flexible server resource ID to its Azure host, TLS required", () => {
    expect(parsePostgresTarget({ ProviderAddress: id, CredentialId: "app" }, "s")).toEqual({
      host: "my-pg.postgres.database.azure.com",
      port: 5432,
      database: "postgres",
      tls: true,
      role: "app",
      resourceId: id,
    });
    expect(
      parsePostgresTarget({ ProviderAddress: `${id}/databases/orders`, CredentialId: "app" }, "s").database,
    ).toBe("orders");
  });

  it("reads host[:port][/database], with TLS for anything but loopback", () => {
    expect(
      parsePostgresTarget({ ProviderAddress: "127.0.0.1:6543/app", CredentialId: "r" }, "s"),
    ).toMatchObject({ host: "127.0.0.1", port: 6543, database: "app", tls: false });
    expect(parsePostgresTarget({ ProviderAddress: "db.internal", CredentialId: "r" }, "s")).toMatchObject({
      host: "db.internal",
      port: 5432,
      tls: true,
    });
    expect(parsePostgresTarget({ ProviderAddress: "[::1]:5433", CredentialId: "r" }, "s")).toMatchObject({
      host: "::1",
      port: 5433,
      tls: false,
    });
  });

  it.each([
    [
      {
        ProviderAddress: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Sql/servers/x",
        CredentialId: "r",
      },
      "ProviderAddress",
    ],
    [{ ProviderAddress: "/subscriptions/0000/resourceGroups", CredentialId: "r" }, "ProviderAddress"],
    [{ ProviderAddress: "host:99999", CredentialId: "r" }, "ProviderAddress"],
    [{ ProviderAddress: "not a host", CredentialId: "r" }, "ProviderAddress"],
    [{ ProviderAddress: "h", CredentialId: "x".repeat(64) }, "CredentialId"],
    [{ ProviderAddress: "h", CredentialId: "a", AlternateCredentialId: "a" }, "AlternateCredentialId"],
    [{ ProviderAddress: "h", CredentialId: "a", AdminSecretName: "bad name" }, "AdminSecretName"],
  ])("refuses %j naming %s", (tags, tag) => {
    expect(() => parsePostgresTarget(tags, "s")).toThrow(SecretTagError);
    expect(() => parsePostgresTarget(tags, "s")).toThrow(`tag ${tag}`);
  });

  it("quotes role names properly: quotes, spaces and Unicode in a role name are rotated like any other", async () => {
    const local = await startPostgresFixture();
    try {
      const role = 'we"ird; DROP ROLE x;--ü';
      await local.createRole(role, "CANARY-weird-old-1");
      const target = parsePostgresTarget({ ProviderAddress: local.address, CredentialId: role }, "s");
      const change = {
        credentialId: role,
        newValue: "N3w-Value-Only-1",
        currentValue: "CANARY-weird-old-1",
        activeCredentialId: role,
        activeValue: "CANARY-weird-old-1",
        ...runFields(),
      };
      const ctx = {
        credential: { getToken: async () => null },
        azure: azureContext(),
        readSecret: async () => ({ value: "", tags: {} }),
      };
      await postgresRotator.apply(target, change, ctx);
      await postgresRotator.verify(target, change, ctx);
      expect(await local.canLogin(role, "CANARY-weird-old-1")).toBe(false);
      const stored = await local.sql("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [role]);
      expect(String(stored.rows[0]?.rolpassword)).toMatch(/^SCRAM-SHA-256\$4096:/);
    } finally {
      await local.stop();
    }
  });
});
