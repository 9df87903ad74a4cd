import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { createInterface } from "node:readline";

/** Azurite's well-known development account (documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface RunningAzurite {
  blobEndpoint: string;
  /** What `AzureWebJobsStorage` is set to for this Azurite. */
  connectionString: string;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  port?: number;
  /** Keep blobs here; in memory when absent. */
  location?: string;
}

/**
 * Starts Azurite's blob service (the `azurite` npm package) on loopback as a child process and waits for
 * it to listen. Telemetry off, API version check skipped (the SDK may be newer than Azurite).
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const require = createRequire(import.meta.url);
  const entry = path.join(
    path.dirname(require.resolve("azurite/package.json")),
    "dist",
    "src",
    "blob",
    "main.js",
  );
  const args = [
    entry,
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    String(options.port ?? 0),
    "--skipApiVersionCheck",
    "--disableTelemetry",
    "--loose",
    ...(options.location ? ["--location", options.location] : ["--inMemoryPersistence"]),
  ];
  if (options.location) await mkdir(options.location, { recursive: true });
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: options.location ?? process.cwd(),
  });
  const blobEndpoint = await new Promise<string>((resolve, reject) => {
    let output = "";
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      output += `${line}\n`;
      const match = /successfully listens on (http:\/\/\S+)/.exec(line);
      if (match) resolve(`${match[1] as string}/${AZURITE_ACCOUNT}`);
    });
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code) =>
      reject(new Error(`Azurite exited (${code}) before listening:\n${output.trim()}`)),
    );
  });
  return {
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobEndpoint};`,
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
