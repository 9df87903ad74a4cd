import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

/** The deployed bundle: built by `npm run build`, loaded by the Functions host from package.json "main". */
describe("function bundle", () => {
  // Built into a folder of its own: other tests build dist/ at the same time.
  const out = mkdtempSync(path.join(os.tmpdir(), "bundle-"));
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--out", out, "--meta"], {
    encoding: "utf8",
  });
  const meta = JSON.parse(readFileSync(path.join(out, "meta.json"), "utf8")) as {
    inputs: Record<string, unknown>;
    outputs: Record<string, { inputs: Record<string, unknown>; entryPoint?: string }>;
  };

  it("builds, with nothing from local/ or test/ in it", () => {
    expect(build.status, build.stderr).toBe(0);
    const inputs = Object.keys(meta.inputs);
    expect(inputs.some((p) => p.startsWith("functions/"))).toBe(true);
    expect(inputs.filter((p) => /^(local|test|bench)\//.test(p))).toEqual([]);
    expect(JSON.parse(readFileSync("package.json", "utf8")).main).toBe("dist/main.js");
  });

  it("keeps what rotations load on demand (pg, @azure/eventgrid, @azure/identity, Azure Monitor) out of the entry module", () => {
    const entry = Object.entries(meta.outputs).find(([name]) => name.endsWith("/main.js"))?.[1];
    expect(entry).toBeDefined();
    const entryInputs = Object.keys(entry?.inputs ?? {});
    for (const lazy of [
      "node_modules/pg/",
      "node_modules/@azure/monitor-opentelemetry/",
      "node_modules/@azure/eventgrid/",
      "node_modules/@azure/identity/",
    ]) {
      expect(
        entryInputs.filter((p) => p.includes(lazy)),
        lazy,
      ).toEqual([]);
      expect(
        Object.keys(meta.inputs).some((p) => p.includes(lazy)),
        `${lazy} is still bundled`,
      ).toBe(true);
    }
  });

  it("loads with @azure/functions in test mode and registers every function", () => {
    const entryUrl = pathToFileURL(path.join(out, "main.js")).href;
    const run = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `await import(${JSON.stringify(entryUrl)}); console.log("loaded");`],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const output = run.stdout + run.stderr;
    expect(output).toContain("loaded");
    expect(output).toContain('"@azure/functions" package to test mode');
    for (const name of [
      "complianceReport",
      "complianceSweep",
      "resumeRotations",
      "rotateSecret",
      "scheduledRotations",
      "secretNearExpiry",
    ])
      expect(output).toContain(`register function "${name}"`);
  });
});
