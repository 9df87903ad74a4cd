import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import ignore from "ignore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The deployment package built the way azd's remote build builds it (Flex Consumption, node_modules excluded
 * by .funcignore): only what .funcignore lets through is uploaded, then `npm install` and `npm run build` run
 * there, and the Functions host loads package.json "main". Here `npm install --omit=dev` (from the npm cache
 * where it can, the npm registry otherwise): the build must need nothing from devDependencies, and the bundle
 * must be the same as one built with every dev dependency installed.
 */
const root = process.cwd();
const rules = ignore().add(readFileSync(path.join(root, ".funcignore"), "utf8"));

/** Every file below `dir` that .funcignore lets through, as paths relative to the project. */
function shipped(dir = ""): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.name === ".git" || rules.ignores(entry.isDirectory() ? `${rel}/` : rel)) continue;
    if (entry.isDirectory()) files.push(...shipped(rel));
    else files.push(rel);
  }
  return files;
}

/** name -> sha256 of every file below `dir`. */
function digest(dir: string, sub = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(out, digest(dir, rel));
    else
      out[rel] = createHash("sha256")
        .update(readFileSync(path.join(dir, rel)))
        .digest("hex");
  }
  return out;
}

const npm = (args: string[], cwd: string): ReturnType<typeof spawnSync> =>
  spawnSync("npm", args, {
    cwd,
    encoding: "utf8",
    timeout: 240_000,
    env: {
      ...process.env,
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    },
  });

let work = "";
let local = "";
let files: string[] = [];
let install: ReturnType<typeof spawnSync>;
let build: ReturnType<typeof spawnSync>;
beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "akv-rotator-remote-build-"));
  local = mkdtempSync(path.join(os.tmpdir(), "akv-rotator-local-build-"));
  files = shipped();
  for (const f of files) cpSync(path.join(root, f), path.join(work, f));
  install = npm(["install", "--omit=dev", "--prefer-offline"], work);
  build = install.status === 0 ? npm(["run", "build"], work) : install;
  // The same build here, where every dev dependency is installed.
  spawnSync(process.execPath, ["scripts/build.mjs", "--out", local], { encoding: "utf8" });
}, 300_000);
// Removing the installed node_modules takes a while on a loaded machine: asynchronously, with room.
afterAll(async () => {
  await Promise.all([work, local].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
}, 180_000);

describe("the deployment package (azd remote build)", () => {
  it("uploads what the build needs and nothing of local/, test/, bench/, infra/ or dist/", () => {
    for (const needed of ["package.json", "package-lock.json", "host.json", "scripts/build.mjs"])
      expect(files).toContain(needed);
    expect(files.filter((f) => f.startsWith("scripts/"))).toEqual(["scripts/build.mjs"]);
    expect(files.some((f) => f.startsWith("functions/"))).toBe(true);
    expect(files.some((f) => f.startsWith("src/"))).toBe(true);
    expect(files.filter((f) => /^(local|test|bench|infra|dist|node_modules|\.local)\//.test(f))).toEqual([]);
  });

  it("installs and builds from those files alone, into dist/main.js and its chunks only", () => {
    expect(install.status, String(install.stderr)).toBe(0);
    expect(build.status, String(build.stderr)).toBe(0);
    const built = Object.keys(digest(path.join(work, "dist")));
    expect(built).toContain("main.js");
    expect(built.filter((f) => !(f === "main.js" || /^chunks\/[\w.-]+\.js$/.test(f)))).toEqual([]);
  });

  it("is the same bundle as one built with every dev dependency installed", () => {
    expect(digest(path.join(work, "dist"))).toEqual(digest(local));
  });

  it("loads its entry (package.json main) and registers every function", () => {
    const main = (JSON.parse(readFileSync(path.join(work, "package.json"), "utf8")) as { main: string }).main;
    const run = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `await import(${JSON.stringify(pathToFileURL(path.join(work, main)).href)}); console.log("loaded");`,
      ],
      { cwd: work, encoding: "utf8", timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    for (const name of ["complianceReport", "complianceSweep", "rotateSecret", "secretNearExpiry"])
      expect(run.stdout + run.stderr).toContain(`register function "${name}"`);
  });
});
