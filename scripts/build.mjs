// Bundles the Azure Functions entry points (every functions/*.ts) into dist/main.js, the file that
// package.json "main" names for the Functions host. Nothing from local/ or test/ may end up in it.
import { build } from "esbuild";
import { readdirSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const functionsDir = path.join(root, "functions");
const entries = existsSync(functionsDir)
  ? readdirSync(functionsDir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
      .sort()
  : [];
const entrySource =
  entries.map((f) => `import "./functions/${f.replace(/\.ts$/, ".js")}";`).join("\n") || "export {};";

mkdirSync(path.join(root, "dist"), { recursive: true });
const result = await build({
  stdin: { contents: entrySource, resolveDir: root, sourcefile: "functions-entry.ts", loader: "ts" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  outfile: path.join(root, "dist", "main.js"),
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
writeFileSync(path.join(root, "dist", "meta.json"), JSON.stringify(result.metafile));
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
  outfile: path.join(root, "dist", "cli.js"),
  logLevel: "warning",
  external: ["pg-native"],
  banner: {
    js: "import { createRequire as __akvCreateRequire } from 'node:module'; const require = __akvCreateRequire(import.meta.url);",
  },
});
console.log(`build: ${entries.length} function file(s) -> dist/main.js; the CLI -> dist/cli.js`);
