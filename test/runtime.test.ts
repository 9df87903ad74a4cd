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

describe("the Node.js the suite runs on", () => {
  it("is the one the `node` devDependency installed (the floor engines names), in the workers and in their children", () => {
    console.log(`the suite runs on Node.js ${process.version}`);
    expect(process.versions.node).toBe(installed);
    expect(pkg.engines.node.startsWith(`^${installed.split(".")[0]}.`)).toBe(true);
    // Children started the way tsx, Azurite and the watchdogs are started run on it too.
    expect(execFileSync(process.execPath, ["--version"], { encoding: "utf8" }).trim()).toBe(`v${installed}`);
    expect(execFileSync("node", ["--version"], { encoding: "utf8" }).trim()).toBe(`v${installed}`);
  });
});
