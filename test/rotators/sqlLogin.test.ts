import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RotationError, SecretTagError } from "../../src/errors.js";
import { planRotation } from "../../src/rotation/rotationPlan.js";
import type { CredentialChange, RotatorContext } from "../../src/rotators/rotator.js";
import { sqlLoginRotator } from "../../src/rotators/sqlLogin.js";
import { parseSqlLoginTarget } from "../../src/rotators/sqlTarget.js";
import { EmulatorCredential } from "../../src/vault/emulatorCredential.js";
import { azureContext, runFields } from "../helpers/rotatorContext.js";
import { ENTRA_ADMIN, startSqlFixture, type SqlFixture } from "../helpers/sqlFixture.js";
import { rotatorContract } from "./contract.js";
import { startRotationStack } from "../helpers/rotationStack.js";
import { pendingRecordName } from "../../src/vault/pendingRecord.js";

let sqlfx: SqlFixture;
let seq = 0;
const next = (): string => `p${process.pid % 1000}q${(seq += 1)}`;

rotatorContract("sql-login", () => ({
  rotator: sqlLoginRotator,
  setup: async () => {
    sqlfx = await startSqlFixture();
  },
  teardown: async () => sqlfx?.stop(),
  arrange: async (id) => {
    const login = `app_${id}`;
    const value = `Old-${id}-Passw0rd!`;
    sqlfx.server.addLogin({ name: login, password: value });
    return {
      tags: { ProviderAddress: sqlfx.address(), RotatorType: "sql-login", CredentialId: login },
      value,
    };
  },
  accepts: (tags, value) => sqlfx.canLogin(tags.CredentialId as string, value),
  requiredTags: ["ProviderAddress", "CredentialId"],
  verifyRejectsWrongValue: true,
}));

describe("sql-login", () => {
  beforeAll(async () => {
    sqlfx = await startSqlFixture();
  });
  afterAll(async () => sqlfx?.stop());

  const ctx = (
    extra: Record<string, { value: string; tags: Record<string, string> }> = {},
  ): RotatorContext => ({
    credential: new EmulatorCredential(),
    azure: azureContext(),
    readSecret: async (name) => {
      const found = extra[name];
      if (!found) throw new Error(`no secret ${name}`);
      return found;
    },
  });
  const change = (login: string, current: string, newValue: string): CredentialChange => ({
    credentialId: login,
    newValue,
    currentValue: current,
    activeCredentialId: login,
    activeValue: current,
    ...runFields(),
  });

  it("infers sql-login from a Microsoft.Sql/servers ProviderAddress, and names what is wrong in the tags", () => {
    const server = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Sql/servers/orders-sql";
    const plan = planRotation("s", { ProviderAddress: server, CredentialId: "app" }, 60);
    expect(plan.managed && plan.plan.rotatorType).toBe("sql-login");
    const target = parseSqlLoginTarget(
      { ProviderAddress: `${server}/databases/orders`, CredentialId: "app" },
      "s",
    );
    expect(target.endpoint).toMatchObject({
      host: "orders-sql.database.windows.net",
      port: 1433,
      encrypt: true,
    });
    expect(target.containedIn).toBe("orders");
    expect(() => planRotation("s", { ProviderAddress: server }, 60)).toThrow(/CredentialId.*sql-admin/);
    expect(() =>
      parseSqlLoginTarget(
        { ProviderAddress: "/subscriptions/x/resourceGroups/y/providers/Microsoft.Sql/servers" },
        "s",
      ),
    ).toThrow(SecretTagError);
    expect(() =>
      parseSqlLoginTarget({ ProviderAddress: server, CredentialId: "a", AlternateCredentialId: "b" }, "s"),
    ).toThrow(/AlternateCredentialId.*needs an admin/);
    expect(() =>
      parseSqlLoginTarget({ ProviderAddress: server, CredentialId: "x".repeat(129) }, "s"),
    ).toThrow(/CredentialId/);
    expect(() =>
      parseSqlLoginTarget({ ProviderAddress: server, CredentialId: "a", AdminAuth: "sa" }, "s"),
    ).toThrow(/AdminAuth/);
  });

  it.each([
    ["brackets and quotes", "we]ird'o", "Pa]ss'w0rd;--x"],
    ["a comment and a semicolon", "evil; DROP LOGIN sa --", "N3w'); DROP--"],
    ["Unicode", "ユーザー_ü", "Päss-wörd-ユ1"],
    ["the maximum length", "L".repeat(128), `${"Aa1!".repeat(32)}`],
  ])(
    "quotes %s as QUOTENAME does: one well-formed statement, and the login works afterwards",
    async (_, login, password) => {
      const name = `${login}`.slice(0, 128);
      sqlfx.server.addLogin({ name, password: "Start-Passw0rd!" });
      const before = sqlfx.server.statements.length;
      const target = parseSqlLoginTarget({ ProviderAddress: sqlfx.address(), CredentialId: name }, "s");
      await sqlLoginRotator.apply(target, change(name, "Start-Passw0rd!", password), ctx());
      const ran = sqlfx.server.statements.slice(before).filter((s) => s.sql.startsWith("ALTER"));
      expect(ran).toHaveLength(1);
      expect(ran[0]?.error).toBeUndefined();
      expect(sqlfx.server.passwordOf(name)).toBe(password);
      expect(await sqlfx.canLogin(name, password)).toBe(true);
      await sqlLoginRotator.verify(target, change(name, "Start-Passw0rd!", password), ctx());
    },
  );

  it("rotates a contained database user inside its database, as an Entra admin (access token)", async () => {
    const user = `contained_${next()}`;
    sqlfx.server.addContainedUser("orders", { name: user, password: "Contained-0ld-1!" });
    const target = parseSqlLoginTarget(
      { ProviderAddress: sqlfx.address("orders"), CredentialId: user, AdminAuth: "entra" },
      "s",
    );
    await sqlLoginRotator.preflight(target, change(user, "Contained-0ld-1!", "Contained-N3w-1!"), ctx());
    await sqlLoginRotator.apply(target, change(user, "Contained-0ld-1!", "Contained-N3w-1!"), ctx());
    const ran = sqlfx.server.statements.at(-1);
    expect(ran).toMatchObject({ principal: ENTRA_ADMIN, database: "orders" });
    expect(ran?.sql).toBe(`ALTER USER [${user}] WITH PASSWORD = N'Contained-N3w-1!'`);
    expect(await sqlfx.canLogin(user, "Contained-N3w-1!", "orders")).toBe(true);
  });

  it("rotates the alternate login in dual mode as the admin login a secret names", async () => {
    const [a, b, admin] = [`a_${next()}`, `b_${next()}`, `adm_${next()}`];
    sqlfx.server.addLogin({ name: a, password: "A-Passw0rd-1!" });
    sqlfx.server.addLogin({ name: b, password: "B-Passw0rd-1!" });
    sqlfx.server.addLogin({ name: admin, password: "Adm-Passw0rd-1!", canAlterOthers: true });
    const tags = {
      ProviderAddress: sqlfx.address(),
      CredentialId: a,
      AlternateCredentialId: b,
      AdminSecretName: "sql-admin",
    };
    const target = parseSqlLoginTarget(tags, "s");
    const dual: CredentialChange = {
      credentialId: b,
      newValue: "B-N3w-Passw0rd!",
      activeCredentialId: a,
      activeValue: "A-Passw0rd-1!",
      ...runFields(),
    };
    const extra = { "sql-admin": { value: "Adm-Passw0rd-1!", tags: { CredentialId: admin } } };
    await sqlLoginRotator.apply(target, dual, ctx(extra));
    await sqlLoginRotator.verify(target, dual, ctx(extra));
    expect(await sqlfx.canLogin(a, "A-Passw0rd-1!")).toBe(true);
    const alter = sqlfx.server.statements.filter((st) => st.sql.startsWith("ALTER")).at(-1);
    expect(alter).toMatchObject({
      principal: admin,
      sql: `ALTER LOGIN [${b}] WITH PASSWORD = N'B-N3w-Passw0rd!'`,
    });
  });

  it("fails clearly and changes nothing on a wrong old password, a missing permission or an unreachable server", async () => {
    const login = `app_${next()}`;
    sqlfx.server.addLogin({ name: login, password: "Real-Passw0rd-1!" });
    const target = parseSqlLoginTarget({ ProviderAddress: sqlfx.address(), CredentialId: login }, "s");
    const wrongOld = await sqlLoginRotator
      .apply(target, change(login, "Not-The-Passw0rd!", "N3w-Passw0rd-1!"), ctx())
      .catch((e: unknown) => e);
    expect(wrongOld).toBeInstanceOf(RotationError);
    expect((wrongOld as RotationError).code).toBe("TargetAuthenticationFailed");
    expect(sqlfx.server.passwordOf(login)).toBe("Real-Passw0rd-1!");

    const weakAdmin = `weak_${next()}`;
    sqlfx.server.addLogin({ name: weakAdmin, password: "Weak-Passw0rd-1!" });
    const viaWeak = parseSqlLoginTarget(
      { ProviderAddress: sqlfx.address(), CredentialId: login, AdminSecretName: "weak" },
      "s",
    );
    const denied = await sqlLoginRotator
      .apply(
        viaWeak,
        change(login, "Real-Passw0rd-1!", "N3w-Passw0rd-1!"),
        ctx({ weak: { value: "Weak-Passw0rd-1!", tags: { CredentialId: weakAdmin } } }),
      )
      .catch((e: unknown) => e);
    expect((denied as RotationError).code).toBe("TargetPermissionDenied");
    expect((denied as Error).message).toContain("15151");
    expect((denied as Error).message).not.toContain("N3w-Passw0rd-1!");
    expect(sqlfx.server.passwordOf(login)).toBe("Real-Passw0rd-1!");

    const nowhere = parseSqlLoginTarget({ ProviderAddress: "127.0.0.1:9", CredentialId: login }, "s");
    const unreachable = await sqlLoginRotator
      .preflight(nowhere, change(login, "Real-Passw0rd-1!", "N3w-Passw0rd-1!"), ctx())
      .catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ code: "TargetUnreachable", retryable: true });
  });

  it("through the engine: a wrong stored password or a missing server fails clearly, with the secret and the login unchanged", async () => {
    const stack = await startRotationStack({ vaultName: "sqlfailures" });
    try {
      const login = `app_${next()}`;
      sqlfx.server.addLogin({ name: login, password: "Real-Passw0rd-9!" });
      await stack.kv.setSecret("sql-wrong", "Stale-Passw0rd-9!", {
        tags: { RotatorType: "sql-login", ProviderAddress: sqlfx.address(), CredentialId: login },
      });
      await stack.kv.setSecret("sql-gone", "Real-Passw0rd-9!", {
        tags: { RotatorType: "sql-login", ProviderAddress: "127.0.0.1:9", CredentialId: login },
      });
      const app = await stack.app();
      const wrong = await app.engine.rotate({
        vault: "sqlfailures",
        secret: "sql-wrong",
        trigger: "cli",
        force: true,
      });
      expect(wrong).toMatchObject({
        status: "failed",
        error: { code: "TargetAuthenticationFailed", retryable: false },
        pendingKept: false,
      });
      expect((wrong as { error: { message: string } }).error.message).toContain(
        `Login failed for user '${login}'`,
      );
      const gone = await app.engine.rotate({
        vault: "sqlfailures",
        secret: "sql-gone",
        trigger: "cli",
        force: true,
      });
      expect(gone).toMatchObject({
        status: "failed",
        error: { code: "TargetUnreachable", retryable: true },
        pendingKept: false,
      });
      for (const [secret, value] of [
        ["sql-wrong", "Stale-Passw0rd-9!"],
        ["sql-gone", "Real-Passw0rd-9!"],
      ] as const) {
        const versions: string[] = [];
        for await (const v of stack.kv.listPropertiesOfSecretVersions(secret))
          versions.push(v.version as string);
        expect(versions).toHaveLength(1);
        expect((await stack.kv.getSecret(secret)).value).toBe(value);
        await expect(stack.kv.getSecret(pendingRecordName(secret))).rejects.toThrow();
      }
      expect(sqlfx.server.passwordOf(login)).toBe("Real-Passw0rd-9!");
    } finally {
      await stack.stop();
    }
  });

  it("resumes after an interrupted apply: the new password already in place is not an error", async () => {
    const login = `app_${next()}`;
    sqlfx.server.addLogin({ name: login, password: "New-Passw0rd-1!" });
    const target = parseSqlLoginTarget({ ProviderAddress: sqlfx.address(), CredentialId: login }, "s");
    await sqlLoginRotator.apply(target, change(login, "Old-Passw0rd-1!", "New-Passw0rd-1!"), ctx());
    expect(sqlfx.server.passwordOf(login)).toBe("New-Passw0rd-1!");
  });
});
