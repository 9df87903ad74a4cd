import sql from "mssql";
import { ensureLocalCertificate } from "../../local/tls/localCertificate.js";
import { TdsServer } from "../fixtures/tds-server/tdsServer.js";
import { TEST_CERT_DIR } from "./keyVaultFixture.js";

/** The identity EmulatorCredential names; the fixture maps its Azure SQL tokens to this Entra admin. */
export const ENTRA_ADMIN = "akv-rotator-local";

export interface SqlFixture {
  server: TdsServer;
  /** `127.0.0.1:port` (plus `/database`) for a ProviderAddress tag. */
  address(database?: string): string;
  /** Whether `user` can log in with `password` (to `database` for contained users) over TDS. */
  canLogin(user: string, password: string, database?: string): Promise<boolean>;
  stop(): Promise<void>;
}

/** Reads the `oid` and `aud` of an EmulatorCredential token (unsigned JWT). */
function emulatorClaims(token: string): { oid?: string; aud?: string } {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as {
      oid?: string;
      aud?: string;
    };
  } catch {
    return {};
  }
}

/** The TDS fixture on loopback, trusting the app's emulator identity as Entra admin for Azure SQL tokens. */
export async function startSqlFixture(): Promise<SqlFixture> {
  const cert = await ensureLocalCertificate(TEST_CERT_DIR);
  const server = new TdsServer({
    tls: { cert: cert.cert, key: cert.key },
    acceptToken: (token) => {
      const claims = emulatorClaims(token);
      return claims.aud === "https://database.windows.net" && claims.oid === ENTRA_ADMIN
        ? ENTRA_ADMIN
        : undefined;
    },
  });
  await server.start();
  return {
    server,
    address: (database) => `127.0.0.1:${server.port}${database ? `/${encodeURIComponent(database)}` : ""}`,
    canLogin: async (user, password, database) => {
      const pool = new sql.ConnectionPool({
        server: "127.0.0.1",
        port: server.port,
        user,
        password,
        ...(database ? { database } : {}),
        options: { encrypt: false },
        connectionTimeout: 5000,
      });
      try {
        await pool.connect();
        await pool.request().batch("SELECT 1");
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === "ELOGIN") return false;
        throw error;
      } finally {
        await pool.close().catch(() => undefined);
      }
    },
    stop: () => server.stop(),
  };
}
