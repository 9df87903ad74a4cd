import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leakForms } from "../helpers/leakDetector.js";
import { startPostgresFixture, type PostgresFixture } from "../helpers/postgresFixture.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";
import { vaultValues } from "../helpers/rotationTour.js";

const serverLog: string[] = [];
let pgfx: PostgresFixture;
let stack: RotationStack;
beforeAll(async () => {
  [pgfx, stack] = await Promise.all([
    startPostgresFixture({ onLog: (line) => serverLog.push(line) }),
    startRotationStack({ vaultName: "pglog" }),
  ]);
});
afterAll(async () => {
  await Promise.all([pgfx?.stop(), stack?.stop()]);
});

/** Runs a marker statement and waits (bounded) until the server's log shows it: everything before is logged. */
async function logMark(): Promise<number> {
  const marker = `akv-mark-${randomUUID()}`;
  for (let i = 0; i < 100; i += 1) {
    await pgfx.sql(`SELECT '${marker}'`);
    const at = serverLog.findIndex((line) => line.includes(marker));
    if (at >= 0) return at;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the server never logged the marker statement: is log_statement on?");
}

/**
 * DESIGN.md: "PostgreSQL: SCRAM only", and the rotator makes the verifier client-side so the plaintext never
 * reaches the server. A server hashes a plaintext `PASSWORD '...'` itself, so logins alone cannot tell;
 * its statement log can: with `log_statement = 'all'`, every statement a rotation sends is in it.
 */
describe("postgres rotation and the server's statement log", () => {
  it("sends no plaintext password in any statement, rotating or putting the old one back", async () => {
    await pgfx.createRole("logged_ok", "CANARY-pglog-ok-1");
    await pgfx.createRole("logged_revert", "CANARY-pglog-revert-1");
    const tags = (role: string): Record<string, string> => ({
      RotatorType: "postgres",
      ProviderAddress: pgfx.address,
      CredentialId: role,
    });
    await stack.kv.setSecret("pglog-ok", "CANARY-pglog-ok-1", { tags: tags("logged_ok") });
    await stack.kv.setSecret("pglog-revert", "CANARY-pglog-revert-1", { tags: tags("logged_revert") });
    stack.vault.emulator.faults.inject({
      operation: "setSecret",
      secretName: "pglog-revert",
      count: 10,
      status: 400,
      body: { error: { code: "BadParameter", message: "nope" } },
    });
    await pgfx.sql("ALTER SYSTEM SET log_statement = 'all'");
    await pgfx.sql("SELECT pg_reload_conf()");
    const from = await logMark();

    const app = await stack.app();
    const run = (secret: string): ReturnType<typeof app.engine.rotate> =>
      app.engine.rotate({ vault: "pglog", secret, trigger: "http", force: true });
    expect((await run("pglog-ok")).status).toBe("rotated");
    // The commit is refused: the old password goes back on the role (a second ALTER ROLE).
    expect((await run("pglog-revert")).status).toBe("failed");
    const to = await logMark();

    const logged = serverLog.slice(from, to + 1).join("\n");
    // The statements are there (the log works), each with a verifier, not a password.
    expect(logged.match(/ALTER ROLE "logged_ok" WITH PASSWORD 'SCRAM-SHA-256\$/g)?.length).toBe(1);
    expect(logged.match(/ALTER ROLE "logged_revert" WITH PASSWORD 'SCRAM-SHA-256\$/g)?.length).toBe(2);
    const values = vaultValues(stack);
    expect(values.length).toBeGreaterThanOrEqual(4);
    for (const value of values)
      for (const { form, needle } of leakForms(value))
        expect(logged.includes(needle), `${value.slice(0, 3)}… in the statement log (${form})`).toBe(false);
    expect(logged).not.toContain("CANARY");
  });
});
