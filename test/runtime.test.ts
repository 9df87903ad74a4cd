import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
/** The Node.js the `node` devDependency installed into node_modules/.bin, which every npm script uses first. */
const installed = (
  JSON.parse(readFileSync(new URL("../node_modules/node/package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

/** Set by scripts/testOnNode.mjs when the smoke runs on another major version (npm run test:node24). */
const other = process.env.AKV_ROTATOR_TEST_NODE;

describe("the Node.js the suite runs on", () => {
  it("is the one the `node` devDependency installed (the floor engines names), or the major AKV_ROTATOR_TEST_NODE asks for (one engines allows), in the workers and in their children", () => {
    console.log(`the suite runs on Node.js ${process.version}`);
    if (other) {
      expect(process.versions.node.split(".")[0]).toBe(other);
      const ranges = pkg.engines.node.split("||").map((r) => r.trim());
      expect(ranges.some((r) => r.startsWith(`^${other}.`) || r.startsWith(`>=${other}.`))).toBe(true);
    } else {
      expect(process.versions.node).toBe(installed);
      expect(pkg.engines.node.startsWith(`^${installed.split(".")[0]}.`)).toBe(true);
    }
    // Children started the way tsx, Azurite and the watchdogs are started run on it too.
    expect(execFileSync(process.execPath, ["--version"], { encoding: "utf8" }).trim()).toBe(process.version);
    expect(execFileSync("node", ["--version"], { encoding: "utf8" }).trim()).toBe(process.version);
  });
});
