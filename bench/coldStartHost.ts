import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { FunctionDefinition } from "../functions/functionDefinition.js";
import { DevHost } from "../local/host/devHost.js";

/**
 * The cold-start benchmark's process: imports the app as a worker would (the bundle `dist/main.js`, or the
 * same functions transpiled file by file with node_modules unbundled), serves it with the dev host on a port
 * the OS picks, and prints `{url, functionKey}`. Built into one file by bench/coldStart.ts, so this host
 * costs the same in both variants. argv: <entry file or functions directory>.
 */
const target = process.argv[2] ?? "";
const modules: Record<string, unknown>[] = [];
if (target.endsWith(".js"))
  modules.push((await import(pathToFileURL(target).href)) as Record<string, unknown>);
else
  for (const file of (await readdir(target)).filter((f) => f.endsWith(".js")).sort())
    modules.push((await import(pathToFileURL(path.join(target, file)).href)) as Record<string, unknown>);
const functions = modules.flatMap((m) =>
  Object.values(m).filter(
    (v): v is FunctionDefinition =>
      typeof v === "object" && v !== null && "name" in v && "trigger" in v && "options" in v,
  ),
);
const keys = {
  functionKey: randomBytes(24).toString("base64url"),
  masterKey: randomBytes(24).toString("base64url"),
  eventGridKey: randomBytes(24).toString("base64url"),
};
const host = await new DevHost({ port: 0, keys, functions, setting: (n) => process.env[n] }).start();
process.stdout.write(`${JSON.stringify({ url: host.url, functionKey: keys.functionKey })}\n`);
process.on("SIGTERM", () => process.exit(0));
