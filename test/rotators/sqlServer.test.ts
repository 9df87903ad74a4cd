import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quoteLiteral, quoteName, withSqlConnection } from "../../src/rotators/sqlServer.js";
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

  it("quotes as QUOTENAME and N'' literals do", () => {
    expect(quoteName("a]b")).toBe("[a]]b]");
    expect(quoteLiteral("it's")).toBe("N'it''s'");
  });
});
