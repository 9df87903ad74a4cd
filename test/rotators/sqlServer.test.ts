import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quoteLiteral, quoteName, withSqlConnection } from "../../src/rotators/sqlServer.js";
import { TdsServer } from "../fixtures/tds-server/tdsServer.js";
import { EmulatorCredential } from "../../src/vault/emulatorCredential.js";
import { azureContext } from "../helpers/rotatorContext.js";
import { startSqlFixture, type SqlFixture } from "../helpers/sqlFixture.js";

let sqlfx: SqlFixture;
beforeAll(async () => {
  sqlfx = await startSqlFixture();
  sqlfx.server.addLogin({ name: "tls_app", password: "Tls-Passw0rd-1!" });
});
afterAll(async () => sqlfx?.stop());

const ctx = (withCa: boolean): Parameters<typeof withSqlConnection>[2] => ({
  credential: new EmulatorCredential(),
  azure: withCa
    ? azureContext()
    : { ...azureContext(), clientOptions: { ...azureContext().clientOptions, tlsOptions: { ca: [] } } },
  readSecret: async () => {
    throw new Error("not used");
  },
});

describe("SQL connections", () => {
  it("encrypts with TDS TLS and checks the server certificate against the configured CA", async () => {
    const endpoint = { host: "localhost", port: sqlfx.server.port, encrypt: true };
    const auth = { user: "tls_app", password: "Tls-Passw0rd-1!" };
    await expect(
      withSqlConnection(endpoint, auth, ctx(true), (batch) => batch("SELECT 1")),
    ).resolves.toBeUndefined();
    // Without the CA the certificate is not trusted: no connection, whatever the password.
    await expect(withSqlConnection(endpoint, auth, ctx(false), (batch) => batch("SELECT 1"))).rejects.toThrow(
      /certificate/i,
    );
  });

  it("logs in to a server that declines TLS only when the endpoint does not ask for TLS (loopback)", async () => {
    const plain = new TdsServer(); // no certificate: its PRELOGIN answer is ENCRYPT_NOT_SUP
    await plain.start();
    try {
      plain.addLogin({ name: "plain_app", password: "Plain-Passw0rd-1!" });
      const auth = { user: "plain_app", password: "Plain-Passw0rd-1!" };
      const endpoint = { host: "127.0.0.1", port: plain.port };
      // tedious alone would send LOGIN7 in the clear here; the guard closes the connection first.
      await expect(
        withSqlConnection({ ...endpoint, encrypt: true }, auth, ctx(true), (batch) => batch("SELECT 1")),
      ).rejects.toMatchObject({ code: "TargetInsecureConnection", retryable: false });
      expect(plain.loginAttempts).toEqual([]);
      await expect(
        withSqlConnection({ ...endpoint, encrypt: false }, auth, ctx(true), (batch) => batch("SELECT 1")),
      ).resolves.toBeUndefined();
      expect(plain.loginAttempts.length).toBeGreaterThan(0);
      expect(plain.loginAttempts.every((a) => a.ok && a.user === "plain_app")).toBe(true);
    } finally {
      await plain.stop();
    }
  });

  it("quotes as QUOTENAME and N'' literals do", () => {
    expect(quoteName("a]b")).toBe("[a]]b]");
    expect(quoteLiteral("it's")).toBe("N'it''s'");
  });
});
