import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import { SecretTagError } from "../../src/errors.js";
import type { RotatorContext } from "../../src/rotators/rotator.js";
import { sqlAdminRotator } from "../../src/rotators/sqlAdmin.js";
import { EmulatorCredential } from "../../src/vault/emulatorCredential.js";
import { startArm } from "../helpers/armFixture.js";
import { azureContext, runFields } from "../helpers/rotatorContext.js";
import { startSqlFixture, type SqlFixture } from "../helpers/sqlFixture.js";
import { rotatorContract } from "./contract.js";

let arm: ArmEmulator;
let sqlfx: SqlFixture;
let denyWrites = false;

/** A logical server in the ARM emulator whose administrator is a login of the TDS fixture. */
function addServer(id: string, password: string): { resourceId: string; login: string } {
  const login = `admin_${id}`;
  sqlfx.server.addLogin({ name: login, password, canAlterOthers: true });
  const server = arm.addSqlServer({
    name: `sql-${id}`.toLowerCase(),
    administratorLogin: login,
    password,
    fullyQualifiedDomainName: `127.0.0.1,${sqlfx.server.port}`,
    onPasswordChange: (name, next) => sqlfx.server.addLogin({ name, password: next, canAlterOthers: true }),
  });
  return { resourceId: server.id, login };
}

async function startBoth(): Promise<void> {
  [arm, sqlfx] = await Promise.all([
    startArm({ authorize: (_identity, action) => !(denyWrites && action.endsWith("/write")) }),
    startSqlFixture(),
  ]);
}
async function stopBoth(): Promise<void> {
  await Promise.all([arm?.stop(), sqlfx?.stop()]);
}

rotatorContract("sql-admin", () => ({
  rotator: sqlAdminRotator,
  setup: startBoth,
  teardown: stopBoth,
  arm: () => arm,
  azure: () => azureContext({ arm: arm.url }),
  env: () => ({ ARM_ENDPOINT: arm.url }),
  arrange: async (id) => {
    const value = `Adm-${id}-Passw0rd!`;
    const { resourceId, login } = addServer(id, value);
    return { tags: { ProviderAddress: resourceId, RotatorType: "sql-admin", CredentialId: login }, value };
  },
  accepts: async (tags, value) => sqlfx.canLogin(tags.CredentialId as string, value),
  requiredTags: ["ProviderAddress"],
  verifyRejectsWrongValue: true,
}));

describe("sql-admin", () => {
  beforeAll(startBoth);
  afterAll(stopBoth);
  const ctx = (): RotatorContext => ({
    credential: new EmulatorCredential(),
    azure: azureContext({ arm: arm.url }),
    readSecret: async () => {
      throw new Error("not used");
    },
  });

  it("sets the password through ARM's long-running update and proves it by logging in as the administrator", async () => {
    const { resourceId, login } = addServer("lro", "Start-Passw0rd-1!");
    const target = sqlAdminRotator.parseTarget({ ProviderAddress: resourceId }, "s");
    const change = {
      credentialId: "",
      newValue: "Next-Passw0rd-1!",
      currentValue: "Start-Passw0rd-1!",
      activeCredentialId: "",
      activeValue: "Start-Passw0rd-1!",
      ...runFields(),
    };
    const before = arm.requests.length;
    await sqlAdminRotator.apply(target, change, ctx());
    const calls = arm.requests
      .slice(before)
      .map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, "{id}")}`);
    expect(calls[0]).toMatch(/^PATCH .*Microsoft\.Sql\/servers\/sql-lro$/);
    expect(calls.some((c) => c.includes("/providers/Emulator.Arm/operations/{id}"))).toBe(true);
    await sqlAdminRotator.verify(target, change, ctx());
    expect(await sqlfx.canLogin(login, "Next-Passw0rd-1!")).toBe(true);
  });

  it("names the tag when ProviderAddress is not a SQL server resource ID", () => {
    for (const address of [
      "orders.database.windows.net",
      "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z",
      "/subscriptions/x",
    ])
      expect(() => sqlAdminRotator.parseTarget({ ProviderAddress: address }, "s")).toThrow(SecretTagError);
  });

  it("fails clearly and changes nothing when the identity may not write the server, or the admin name is wrong", async () => {
    const { resourceId, login } = addServer("denied", "Start-Passw0rd-2!");
    const target = sqlAdminRotator.parseTarget({ ProviderAddress: resourceId }, "s");
    const change = {
      credentialId: "",
      newValue: "Next-Passw0rd-2!",
      currentValue: "Start-Passw0rd-2!",
      activeCredentialId: "",
      activeValue: "Start-Passw0rd-2!",
      ...runFields(),
    };
    denyWrites = true;
    try {
      const error = await sqlAdminRotator.apply(target, change, ctx()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "TargetPermissionDenied" });
      expect((error as Error).message).toContain("Microsoft.Sql/servers/write");
    } finally {
      denyWrites = false;
    }
    expect(await sqlfx.canLogin(login, "Start-Passw0rd-2!")).toBe(true);
    const wrongName = sqlAdminRotator.parseTarget(
      { ProviderAddress: resourceId, CredentialId: "someone-else" },
      "s",
    );
    await expect(sqlAdminRotator.preflight(wrongName, change, ctx())).rejects.toMatchObject({
      code: "TargetCredentialNotFound",
    });
  });
});
