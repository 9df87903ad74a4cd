// Bundles the Azure Functions entry points (every functions/*.ts) into dist/main.js, the file that
// package.json "main" names for the Functions host. Nothing from local/ or test/ may end up in it.
//
// `npm run build` (what azd's remote build runs after `npm install`) writes only what the functions load:
// dist/main.js and dist/chunks/. Options: `--out DIR` builds elsewhere (tests build in parallel into their own
// folders), `--cli` also bundles the CLI into cli.js (`npm run build:cli`), `--sourcemap` writes source maps,
// `--meta` writes esbuild's metafile as meta.json. It needs only esbuild (a dependency, not a devDependency),
// so the build and the bundle are the same whether or not dev dependencies are installed.
import { build } from "esbuild";
import { readdirSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const flag = (name) => process.argv.includes(name);
const outArg = process.argv.indexOf("--out");
const out =
  outArg > 0 && process.argv[outArg + 1] ? path.resolve(process.argv[outArg + 1]) : path.join(root, "dist");
const functionsDir = path.join(root, "functions");
const entries = existsSync(functionsDir)
  ? readdirSync(functionsDir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
      .sort()
  : [];

/**
 * `debug` (under the Azure SDKs and tedious) require()s `supports-color` inside a try, so esbuild bundles it
 * when it happens to be installed (a dev dependency brings it) and leaves it out otherwise. It only colours
 * terminal output; an empty module makes the bundle the same whatever is installed.
 */
const noTerminalColours = {
  name: "no-terminal-colours",
  setup(b) {
    b.onResolve({ filter: /^supports-color$/ }, () => ({ path: "supports-color", namespace: "empty" }));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({
      contents: "module.exports = {};",
      loader: "js",
    }));
  },
};
const common = {
  bundle: true,
  platform: "node",
  target: "node22",
  format: "esm",
  logLevel: "warning",
  sourcemap: flag("--sourcemap") ? "linked" : false,
  plugins: [noTerminalColours],
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __akvCreateRequire } from 'node:module'; const require = __akvCreateRequire(import.meta.url);",
  },
};

mkdirSync(out, { recursive: true });
// What an earlier build may have left: the output is exactly what this build writes.
for (const stale of ["chunks", ".entry", "main.js.map", "meta.json"])
  rmSync(path.join(out, stale), { recursive: true, force: true });
// Each function file registers itself on import; its exports (name, trigger, options) are re-exported so a
// host other than the Functions host (bench/coldStartHost.ts) can serve the bundle as it is deployed.
// The generated entry lives outside the output folder, at a path that is the same on every machine (esbuild
// names it in the bundle), written atomically (tests build in parallel).
const entryDir = path.join(root, "node_modules", ".cache", "akv-rotator-build");
const entryFile = path.join(entryDir, "main.ts");
const entrySource =
  entries
    .map(
      (f) =>
        `export * from ${JSON.stringify(path.relative(entryDir, path.join(functionsDir, f)).split(path.sep).join("/"))};`,
    )
    .join("\n") || "export {};";
mkdirSync(entryDir, { recursive: true });
const entryTemp = `${entryFile}.${process.pid}.${Date.now()}.tmp`;
writeFileSync(entryTemp, entrySource);
renameSync(entryTemp, entryFile);
const result = await build({
  ...common,
  // Split: what the code loads with import() (pg, @azure/eventgrid, @azure/identity) becomes chunks that
  // are read only when first used, so importing the entry stays fast.
  entryPoints: { main: entryFile },
  splitting: true,
  outdir: out,
  chunkNames: "chunks/[name]-[hash]",
  metafile: true,
  // Provided by the Functions worker at run time; pg's optional native binding is not used.
  external: ["@azure/functions-core", "pg-native"],
});
if (flag("--meta")) writeFileSync(path.join(out, "meta.json"), JSON.stringify(result.metafile));
const leaked = Object.keys(result.metafile.inputs).filter((p) => /^(local|test|bench)\//.test(p));
if (leaked.length > 0) {
  console.error(`build: local/, test/ or bench/ code reached the bundle: ${leaked.join(", ")}`);
  process.exit(1);
}
if (flag("--cli")) {
  await build({
    ...common,
    entryPoints: [path.join(root, "src", "cli", "bin.ts")],
    outfile: path.join(out, "cli.js"),
    external: ["pg-native"],
  });
}
console.log(
  `build: ${entries.length} function file(s) -> ${path.relative(root, out) || "."}/main.js` +
    (flag("--cli") ? "; the CLI -> cli.js beside it" : ""),
);
