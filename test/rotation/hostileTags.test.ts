import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import type { GraphEmulator } from "../../local/graph/graphEmulator.js";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import type { FailedOutcome } from "../../src/rotation/rotationOutcome.js";
import { pendingRecordName } from "../../src/vault/pendingRecord.js";
import { startArm } from "../helpers/armFixture.js";
import { graphEnv, startGraph } from "../helpers/graphFixture.js";
import { startPostgresFixture, type PostgresFixture } from "../helpers/postgresFixture.js";
import {
  postgresMessageTypes,
  startInsecurePostgres,
  startRecordingListener,
  startRefusingPostgres,
  type RecordingListener,
} from "../helpers/recordingListener.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";
import { startSqlFixture, type SqlFixture } from "../helpers/sqlFixture.js";
import { TdsServer } from "../fixtures/tds-server/tdsServer.js";

/**
 * A hostile tag-writer (DESIGN.md, security model): each case writes the tags the issue tried, rotates
 * through the real engine, and shows the outcome names what refused it while nothing was sent (the
 * recording listeners saw no connection, or no password), nothing was staged and no version was made.
 */
const SUB = "00000000-0000-0000-0000-000000000000";
let stack: RotationStack;
let pgfx: PostgresFixture;
let sqlfx: SqlFixture;
let arm: ArmEmulator;
let graph: GraphEmulator;
let app: RotatorApp;
/** Loopback listeners nobody allowed, and allowed ones that ask for a password the insecure way. */
let evil: RecordingListener;
let cleartext: RecordingListener;
let md5: RecordingListener;
let tds: RecordingListener;
let refusingPg: RecordingListener;
let allowedApp: string;
/** A SQL Server that declines TLS (no certificate), and a host name for loopback that is not loopback's. */
const plainTds = new TdsServer();
const NOT_LOOPBACK = "::ffff:7f00:1"; // IPv4-mapped 127.0.0.1: reaches the fixtures, but is no loopback name

beforeAll(async () => {
  [stack, pgfx, sqlfx, arm, graph, evil, cleartext, md5, tds, refusingPg] = await Promise.all([
    startRotationStack({ vaultName: "hostile" }),
    startPostgresFixture(),
    startSqlFixture(),
    startArm(),
    startGraph(),
    startInsecurePostgres("cleartext"),
    startInsecurePostgres("cleartext"),
    startInsecurePostgres("md5"),
    startRecordingListener(),
    startRefusingPostgres(),
    plainTds.start(),
  ]);
  allowedApp = graph.addApplication("allowed").id;
  app = await stack.app({
    env: {
      ARM_ENDPOINT: arm.url,
      ...graphEnv(graph),
      AKV_ROTATOR_ALLOWED_TARGETS: [
        `${pgfx.server.host}:${pgfx.server.port}`,
        `127.0.0.1:${sqlfx.server.port}`,
        `127.0.0.1:${cleartext.port}`,
        `127.0.0.1:${md5.port}`,
        `127.0.0.1:${refusingPg.port}`,
        `hostile=127.0.0.1:${tds.port}`,
        `[${NOT_LOOPBACK}]:${plainTds.port}`,
        `[${NOT_LOOPBACK}]:${sqlfx.server.port}`,
        `/subscriptions/${SUB}/resourceGroups/allowed`,
        `applications/${allowedApp}`,
      ].join(" "),
    },
  });
}, 60_000);
afterAll(async () => {
  await Promise.all([
    stack?.stop(),
    pgfx?.stop(),
    sqlfx?.stop(),
    plainTds.stop(),
    arm?.stop(),
    graph?.stop(),
    ...[evil, cleartext, md5, tds, refusingPg].map((l) => l?.stop()),
  ]);
});

const versions = async (name: string): Promise<number> => {
  let n = 0;
  for await (const v of stack.kv.listPropertiesOfSecretVersions(name)) if (v.version) n++;
  return n;
};
const pendingExists = async (secret: string): Promise<boolean> =>
  (await versions(pendingRecordName(secret)).catch(() => 0)) > 0;

/** Writes the secret, rotates it, and checks the failure and that nothing was staged or committed. */
async function refused(
  secret: string,
  tags: Record<string, string>,
  code: string,
  mentions: string[],
): Promise<FailedOutcome> {
  await stack.kv.setSecret(secret, `CANARY-${secret}-value`, { tags });
  const outcome = await app.engine.rotate({ vault: "hostile", secret, trigger: "http", force: true });
  expect(outcome.status).toBe("failed");
  const failed = outcome as FailedOutcome;
  expect(failed.error.code).toBe(code);
  expect(failed.error.retryable).toBe(false);
  for (const text of mentions) expect(failed.error.message).toContain(text);
  expect(failed.pendingKept).toBe(false);
  expect(await pendingExists(secret)).toBe(false);
  expect(await versions(secret)).toBe(1);
  expect(JSON.stringify(failed)).not.toContain("CANARY");
  return failed;
}

describe("hostile tags, through the engine", () => {
  it("cross-secret exfiltration: a host nobody allowed gets no connection, not even with a willing admin secret", async () => {
    await stack.kv.setSecret("hx-app", "CANARY-hx-app-password", {
      tags: { CredentialId: "hx_app", AkvRotatorAdminFor: "hx-steal" },
    });
    await refused(
      "hx-steal",
      {
        RotatorType: "postgres",
        ProviderAddress: `127.0.0.1:${evil.port}/hxdb`,
        CredentialId: "hx_user",
        AdminSecretName: "hx-app",
      },
      "BindingNotAllowed",
      ["hx-steal", "ProviderAddress", "AKV_ROTATOR_ALLOWED_TARGETS", `hostile=127.0.0.1:${evil.port}`],
    );
    expect(evil.connections).toHaveLength(0);
  });

  it("an admin secret is used only by the secrets its AkvRotatorAdminFor tag names", async () => {
    await stack.kv.setSecret("hx-admin", "CANARY-hx-admin-password", {
      tags: { CredentialId: "hx_admin", AkvRotatorAdminFor: "someone-else" },
    });
    const before = cleartext.connections.length;
    await refused(
      "hx-borrow",
      {
        RotatorType: "postgres",
        ProviderAddress: `127.0.0.1:${cleartext.port}/db`,
        CredentialId: "hx_user",
        AdminSecretName: "hx-admin",
      },
      "BindingNotAllowed",
      ["AdminSecretName", "AkvRotatorAdminFor", "hx-borrow"],
    );
    expect(cleartext.connections.length).toBe(before);
  });

  it("an admin secret holding the login being rotated is refused (it would lock that secret out)", async () => {
    await stack.kv.setSecret("hx-same-admin", "CANARY-same", {
      tags: { CredentialId: "shared_login", AkvRotatorAdminFor: "hx-same" },
    });
    const before = cleartext.connections.length;
    await refused(
      "hx-same",
      {
        RotatorType: "postgres",
        ProviderAddress: `127.0.0.1:${cleartext.port}/db`,
        CredentialId: "Shared_Login",
        AdminSecretName: "hx-same-admin",
      },
      "BindingNotAllowed",
      ["shared_login", "another login"],
    );
    expect(cleartext.connections.length).toBe(before);
  });

  it("the same login in another width (as SQL Server's collation compares) is the same login", async () => {
    await stack.kv.setSecret("hx-wide-admin", "CANARY-wide", {
      tags: { CredentialId: "shared_login", AkvRotatorAdminFor: "hx-wide" },
    });
    const before = cleartext.connections.length;
    await refused(
      "hx-wide",
      {
        RotatorType: "postgres",
        ProviderAddress: `127.0.0.1:${cleartext.port}/db`,
        // Fullwidth letters: NFKC makes them "shared_login".
        CredentialId: "\uff53hared_login",
        AdminSecretName: "hx-wide-admin",
      },
      "BindingNotAllowed",
      ["another login"],
    );
    expect(cleartext.connections.length).toBe(before);
  });

  it("a login name with a trailing blank (another spelling of the same login on SQL Server) is refused", async () => {
    await refused(
      "hx-blank",
      {
        RotatorType: "postgres",
        ProviderAddress: `127.0.0.1:${cleartext.port}/db`,
        CredentialId: "shared_login ",
      },
      "MisconfiguredSecret",
      ["CredentialId", "white space"],
    );
  });

  it("an AdminSecretName naming a secret that does not exist is refused like one that does not allow it", async () => {
    await refused(
      "hx-ghost",
      {
        RotatorType: "postgres",
        ProviderAddress: `127.0.0.1:${cleartext.port}/db`,
        CredentialId: "u",
        AdminSecretName: "no-such-secret-here",
      },
      "BindingNotAllowed",
      ["AkvRotatorAdminFor"],
    );
  });

  it.each([
    ["cleartext", () => cleartext],
    ["MD5", () => md5],
  ])("an allowed server asking for %s password authentication gets no password", async (method, listener) => {
    const before = listener().connections.length;
    await refused(
      `hx-${method.toLowerCase()}`,
      { RotatorType: "postgres", ProviderAddress: `127.0.0.1:${listener().port}/db`, CredentialId: "u" },
      "TargetInsecureAuthentication",
      [method, "SCRAM"],
    );
    const mine = listener().connections.slice(before);
    expect(mine).toHaveLength(1);
    // After the StartupMessage only a Terminate ('X'): no PasswordMessage ('p') answered the request.
    expect(postgresMessageTypes(mine[0] ?? [])).toEqual(["X"]);
    expect(Buffer.concat(mine[0] ?? []).toString("latin1")).not.toContain("CANARY");
  });

  it.each([
    ["DatabaseName", { DatabaseName: "postgres\u0000options\u0000-c default_transaction_read_only=on" }],
    ["CredentialId", { CredentialId: "user\u0000postgres" }],
    ["AlternateCredentialId", { AlternateCredentialId: "b\nx" }],
  ])("a control character in %s is refused before any connection", async (tag, extra) => {
    const before = cleartext.connections.length;
    await refused(
      `hx-nul-${tag.toLowerCase()}`,
      {
        RotatorType: "postgres",
        ProviderAddress: `127.0.0.1:${cleartext.port}/db`,
        CredentialId: "u",
        ...extra,
      },
      "MisconfiguredSecret",
      [tag, "control character"],
    );
    expect(cleartext.connections.length).toBe(before);
  });

  it("another team's storage account: no key is listed or regenerated", async () => {
    const other = arm.addStorageAccount("otherteam", SUB, "other");
    const keys = { ...other.keys };
    const failed = await refused(
      "hx-storage",
      { ProviderAddress: other.id, CredentialId: "key1" },
      "BindingNotAllowed",
      [other.id, "AKV_ROTATOR_ALLOWED_TARGETS"],
    );
    expect(failed.rotator).toBe("storage-key");
    expect(other.keys).toEqual(keys);
    expect(arm.requests.filter((r) => r.path.includes("otherteam"))).toEqual([]);
  });

  it("a resource ID that only looks like it is under an allowed scope is not a resource ID", async () => {
    await refused(
      "hx-storage-escape",
      {
        ProviderAddress: `/subscriptions/${SUB}/resourceGroups/allowed/providers/Microsoft.Storage/storageAccounts/a%2F..%2F..%2Fother`,
        CredentialId: "key1",
      },
      "MisconfiguredSecret",
      ["ProviderAddress"],
    );
  });

  it("another team's Entra application: Graph is not called", async () => {
    const other = graph.addApplication("other-team").id;
    await refused(
      "hx-entra",
      { RotatorType: "entra-app-secret", ProviderAddress: `applications/${other}` },
      "BindingNotAllowed",
      [`applications/${other}`],
    );
    expect(graph.requests.filter((r) => r.path.includes(other))).toEqual([]);
  });

  it("AdminAuth=entra: the app's Azure SQL token goes to Azure SQL hosts only, even an allowed host gets no connection", async () => {
    await refused(
      "hx-token",
      {
        RotatorType: "sql-login",
        ProviderAddress: `127.0.0.1:${tds.port}`,
        CredentialId: "x",
        AdminAuth: "entra",
      },
      "BindingNotAllowed",
      ["hx-token", "AdminAuth=entra", "Azure SQL", "AdminSecretName"],
    );
    expect(tds.connections).toHaveLength(0);
  });

  it("preflight proves the admin login may alter the role, not only that it logs in", async () => {
    await pgfx.createRole("hx_weak", "CANARY-hx-weak");
    await pgfx.createRole("hx_target", "CANARY-hx-target");
    await stack.kv.setSecret("hx-weak-admin", "CANARY-hx-weak", {
      tags: { CredentialId: "hx_weak", AkvRotatorAdminFor: "hx-rights" },
    });
    await refused(
      "hx-rights",
      {
        RotatorType: "postgres",
        ProviderAddress: pgfx.address,
        CredentialId: "hx_target",
        AdminSecretName: "hx-weak-admin",
      },
      "TargetPermissionDenied",
      ["may not alter role 'hx_target'"],
    );
    expect(await pgfx.canLogin("hx_target", "CANARY-hx-target")).toBe(true);
  });

  it.each([
    ["a server login", "ALTER ANY LOGIN", undefined],
    ["a contained user", "ALTER ANY USER", "hxdb"],
  ])(
    "SQL Server, %s: preflight proves the admin holds %s, and nothing changes when it does not",
    async (_what, permission, database) => {
      const [weak, target, secret] = database
        ? ["hx_c_weak", "hx_c_target", "hx-sql-rights-contained"]
        : ["hx_sql_weak", "hx_sql_target", "hx-sql-rights"];
      const add = (principal: { name: string; password: string }): void =>
        database ? sqlfx.server.addContainedUser(database, principal) : sqlfx.server.addLogin(principal);
      add({ name: weak, password: "Weak-Admin-Pass-1" });
      add({ name: target, password: "Target-Pass-1" });
      await stack.kv.setSecret(`${secret}-admin`, "Weak-Admin-Pass-1", {
        tags: { CredentialId: weak, AkvRotatorAdminFor: secret },
      });
      const before = sqlfx.server.statements.length;
      await refused(
        secret,
        {
          RotatorType: "sql-login",
          ProviderAddress: sqlfx.address(database),
          CredentialId: target,
          AdminSecretName: `${secret}-admin`,
        },
        "TargetPermissionDenied",
        [permission, target],
      );
      expect(sqlfx.server.statements.slice(before).filter((s) => s.sql.startsWith("ALTER"))).toEqual([]);
      expect(await sqlfx.canLogin(target, "Target-Pass-1", database)).toBe(true);
    },
  );

  it("SQL Server beyond loopback: a server declining TLS gets no login, nor does one whose certificate names another host", async () => {
    plainTds.addLogin({ name: "hx_plain", password: "CANARY-hx-plain-value" });
    await refused(
      "hx-plain",
      {
        RotatorType: "sql-login",
        ProviderAddress: `[${NOT_LOOPBACK}]:${plainTds.port}`,
        CredentialId: "hx_plain",
      },
      "TargetInsecureConnection",
      ["declined TLS", NOT_LOOPBACK],
    );
    expect(plainTds.loginAttempts).toEqual([]);

    // The fixture's certificate is for localhost, 127.0.0.1 and ::1: the host name check refuses it.
    sqlfx.server.addLogin({ name: "hx_wrong_name", password: "CANARY-hx-wrong-name-value" });
    await stack.kv.setSecret("hx-wrong-name", "CANARY-hx-wrong-name-value", {
      tags: {
        RotatorType: "sql-login",
        ProviderAddress: `[${NOT_LOOPBACK}]:${sqlfx.server.port}`,
        CredentialId: "hx_wrong_name",
      },
    });
    const outcome = await app.engine.rotate({
      vault: "hostile",
      secret: "hx-wrong-name",
      trigger: "http",
      force: true,
    });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "TargetUnreachable" } });
    expect(JSON.stringify(outcome)).toMatch(/altnames|certificate/i);
    expect(sqlfx.server.loginAttempts.filter((a) => a.user === "hx_wrong_name")).toEqual([]);
    expect(await versions("hx-wrong-name")).toBe(1);
  });

  it("PostgreSQL: the next password is not sent before it is staged: preflight tries the current one only", async () => {
    await refused(
      "hx-pg-early",
      {
        RotatorType: "postgres",
        ProviderAddress: `127.0.0.1:${refusingPg.port}/db`,
        CredentialId: "hx_pg_early",
      },
      "TargetAuthenticationFailed",
      ["password authentication failed"],
    );
    // One connection: one password tried (the current one); a second would have carried the new one.
    expect(refusingPg.connections).toHaveLength(1);
  });

  it("the next password is not sent before it is staged: preflight tries the current one only", async () => {
    sqlfx.server.addLogin({ name: "hx_early", password: "Right-Password-1" });
    await refused(
      "hx-early",
      { RotatorType: "sql-login", ProviderAddress: sqlfx.address(), CredentialId: "hx_early" },
      "TargetAuthenticationFailed",
      ["hx_early"],
    );
    expect(sqlfx.server.loginAttempts.filter((a) => a.user === "hx_early")).toHaveLength(1);
  });
});
