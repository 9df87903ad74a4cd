import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { build } from "esbuild";
import { startPostgresFixture } from "../test/helpers/postgresFixture.js";
import { startRotationStack } from "../test/helpers/rotationStack.js";

export interface ColdStartResult {
  runs: number;
  bundledMs: number;
  unbundledMs: number;
  /** Where the time goes, median: process start to the host listening, then to the first answer. */
  bundledReadyMs: number;
  unbundledReadyMs: number;
}

const OUT = path.resolve(".bench");

/** The same functions and src/ code as the bundle, transpiled file by file: node_modules load as they are. */
async function buildUnbundled(): Promise<string> {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
      .map((e) => path.join(e.parentPath, e.name));
  await build({
    entryPoints: [...files("functions"), ...files("src")],
    outdir: path.join(OUT, "unbundled"),
    outbase: ".",
    bundle: false,
    platform: "node",
    target: "node20",
    format: "esm",
    logLevel: "warning",
  });
  return path.join(OUT, "unbundled", "functions");
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

/**
 * Process start to the first answered invocation: a fresh Node process imports the app (bundled, or the same
 * code unbundled), serves it, and answers one HTTP rotation of a PostgreSQL secret (which loads what the first
 * real invocation loads: settings, Key Vault, blob lease, Event Grid audit, pg) against the local emulators.
 * Alternated, median of `runs` each.
 */
export async function coldStart(runs: number): Promise<ColdStartResult> {
  await build({
    entryPoints: ["bench/coldStartHost.ts"],
    outfile: path.join(OUT, "coldStartHost.mjs"),
    bundle: true,
    // Provided by the Functions worker; outside it @azure/functions does without.
    external: ["@azure/functions-core"],
    platform: "node",
    target: "node20",
    format: "esm",
    logLevel: "warning",
    banner: {
      js: "import { createRequire as __akvCreateRequire } from 'node:module'; const require = __akvCreateRequire(import.meta.url);",
    },
  });
  const unbundled = await buildUnbundled();
  const [stack, pg] = await Promise.all([startRotationStack({ vaultName: "cold" }), startPostgresFixture()]);
  try {
    const once = async (entry: string, n: number): Promise<{ total: number; ready: number }> => {
      const role = `cold_${n}`;
      await pg.createRole(role, `Cold-start-${n}-password`);
      await stack.kv.setSecret(`cold-${n}`, `Cold-start-${n}-password`, {
        tags: { RotatorType: "postgres", ProviderAddress: pg.address, CredentialId: role },
      });
      const started = performance.now();
      const child = spawn(process.execPath, [path.join(OUT, "coldStartHost.mjs"), entry], {
        env: { ...process.env, ...stack.env },
        stdio: ["ignore", "pipe", "inherit"],
      });
      try {
        const line = await new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", resolve);
          child.once("exit", (code) => reject(new Error(`cold start host exited ${code}`)));
        });
        const ready = performance.now() - started;
        const { url, functionKey } = JSON.parse(line) as { url: string; functionKey: string };
        const answer = await fetch(`${url}/api/secrets/cold-${n}/rotate`, {
          method: "POST",
          headers: { "x-functions-key": functionKey, "content-type": "application/json" },
          body: JSON.stringify({ force: true }),
        });
        const body = (await answer.json()) as { status?: string };
        const total = performance.now() - started;
        if (answer.status !== 200 || body.status !== "rotated")
          throw new Error(`cold start rotation answered ${answer.status} ${JSON.stringify(body)}`);
        return { total, ready };
      } finally {
        child.kill("SIGTERM");
      }
    };
    const bundled: { total: number; ready: number }[] = [];
    const plain: { total: number; ready: number }[] = [];
    for (let i = 0; i < runs; i += 1) {
      bundled.push(await once(path.resolve("dist/main.js"), 2 * i));
      plain.push(await once(unbundled, 2 * i + 1));
    }
    return {
      runs,
      bundledMs: median(bundled.map((r) => r.total)),
      unbundledMs: median(plain.map((r) => r.total)),
      bundledReadyMs: median(bundled.map((r) => r.ready)),
      unbundledReadyMs: median(plain.map((r) => r.ready)),
    };
  } finally {
    await Promise.all([stack.stop(), pg.stop()]);
  }
}
