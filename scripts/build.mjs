// Bundles the Azure Functions entry points (every functions/*.ts) into dist/main.js, the file that
// package.json "main" names for the Functions host. Nothing from local/ or test/ may end up in it.
import { build } from "esbuild";
import { readdirSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
// `--out DIR` builds elsewhere than dist/ (tests build in parallel into their own folders).
const outArg = process.argv.indexOf("--out");
const out =
  outArg > 0 && process.argv[outArg + 1] ? path.resolve(process.argv[outArg + 1]) : path.join(root, "dist");
const functionsDir = path.join(root, "functions");
const entries = existsSync(functionsDir)
  ? readdirSync(functionsDir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
      .sort()
  : [];
// Each function file registers itself on import; its exports (name, trigger, options) are re-exported so a
// host other than the Functions host (bench/coldStartHost.ts) can serve the bundle as it is deployed.
const entrySource =
  entries.map((f) => `export * from ${JSON.stringify(path.join(functionsDir, f))};`).join("\n") ||
  "export {};";

mkdirSync(out, { recursive: true });
const entryFile = path.join(out, ".entry", "main.ts");
mkdirSync(path.dirname(entryFile), { recursive: true });
writeFileSync(entryFile, entrySource);
const result = await build({
  // Split: what the code loads with import() (pg, @azure/eventgrid, @azure/identity) becomes chunks that
  // are read only when first used, so importing the entry stays fast.
  entryPoints: { main: entryFile },
  splitting: true,
  outdir: out,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  metafile: true,
  logLevel: "warning",
  // Provided by the Functions worker at run time; pg's optional native binding is not used.
  external: ["@azure/functions-core", "pg-native"],
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __akvCreateRequire } from 'node:module'; const require = __akvCreateRequire(import.meta.url);",
  },
});
writeFileSync(path.join(out, "meta.json"), JSON.stringify(result.metafile));
const leaked = Object.keys(result.metafile.inputs).filter((p) => /^(local|test)\//.test(p));
if (leaked.length > 0) {
  console.error(`build: local/ or test/ code reached the bundle: ${leaked.join(", ")}`);
  process.exit(1);
}
await build({
  entryPoints: [path.join(root, "src", "cli", "bin.ts")],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  outfile: path.join(out, "cli.js"),
  logLevel: "warning",
  external: ["pg-native"],
  banner: {
    js: "import { createRequire as __akvCreateRequire } from 'node:module'; const require = __akvCreateRequire(import.meta.url);",
  },
});
console.log(
  `build: ${entries.length} function file(s) -> ${path.relative(root, out) || "."}/main.js; the CLI -> cli.js beside it`,
);
