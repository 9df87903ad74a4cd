import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { spawnTied } from "../process/spawnTied.js";

/** Azurite's well-known development account (documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** Azurite listens within a second or two; a start that takes longer than this has failed. */
const STARTUP_TIMEOUT_MS = 30_000;

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
  // Tied to this process: a crashed or killed test worker takes its Azurite with it.
  const child = spawnTied(process.execPath, args, { cwd: options.location ?? process.cwd() });
  const match = await child.waitFor(/successfully listens on (http:\/\/\S+)/, "Azurite", STARTUP_TIMEOUT_MS);
  return {
    blobEndpoint: `${match[1] as string}/${AZURITE_ACCOUNT}`,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${match[1] as string}/${AZURITE_ACCOUNT};`,
    stop: () => child.stop(),
  };
}
