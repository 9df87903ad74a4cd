import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

let stack: RotationStack;
let dir: string;
const DAY = 86_400_000;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "cli-"));
  stack = await startRotationStack({ vaultName: "clivault" });
  await stack.kv.setSecret("due-key", "CANARY-cli-due", {
    tags: { RotatorType: "random" },
    expiresOn: new Date(Date.now() + 3 * DAY),
  });
  await stack.kv.setSecret("fine-key", "CANARY-cli-fine", {
    tags: { RotatorType: "random" },
    expiresOn: new Date(Date.now() + 90 * DAY),
  });
  await stack.kv.setSecret("plain", "CANARY-cli-plain", {});
});
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function cli(
  args: string[],
  env: Record<string, string | undefined> = stack.env,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    isTTY: false,
    env: env as NodeJS.ProcessEnv,
    cwd: dir,
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

async function versions(name: string): Promise<number> {
  let n = 0;
  for await (const _ of stack.kv.listPropertiesOfSecretVersions(name)) n += 1;
  return n;
}

describe("akv-rotator CLI", () => {
  it("status: the state and facts of a secret, never its value; --json for machines", async () => {
    const text = await cli(["status", "clivault", "due-key"]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^clivault\/due-key: near-expiry/);
    const json = await cli(["status", "clivault", "due-key", "--json"]);
    expect(JSON.parse(json.out)).toMatchObject({
      vault: "clivault",
      secret: "due-key",
      state: "near-expiry",
      rotator: "random",
      pendingRotation: null,
    });
    expect(text.out + json.out).not.toContain("CANARY");
  });

  it("validate: says precisely what is wrong, exit 1; all valid, exit 0", async () => {
    expect((await cli(["validate", "clivault"])).code).toBe(0);
    await stack.kv.setSecret("bad-tags", "CANARY-cli-bad", {
      tags: { RotatorType: "random", ValidityPeriodDays: "ninety" },
    });
    const bad = await cli(["validate", "clivault", "--json"]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({
      problems: [{ vault: "clivault", secret: "bad-tags", tag: "ValidityPeriodDays" }],
    });
    const text = await cli(["validate", "clivault"]);
    expect(text.out).toContain(
      "clivault: secret 'bad-tags': tag ValidityPeriodDays must be a whole number of days from 1 to 3650, got 'ninety'",
    );
    await stack.kv.setSecret("bad-tags", "CANARY-cli-bad", { tags: { RotatorType: "random" } });
  });

  it("sweep --rotate --dry-run changes nothing; sweep --rotate rotates what is due and writes the report", async () => {
    const dry = await cli(["sweep", "clivault", "--rotate", "--dry-run", "--json"]);
    expect(JSON.parse(dry.out)).toMatchObject({ wouldRotate: 2, rotated: 0 });
    expect(await versions("due-key")).toBe(1);
    const run = await cli(["sweep", "clivault", "--rotate", "--report", "out.json"]);
    expect(run.out).toContain("rotated, 0 failed");
    expect(await versions("due-key")).toBe(2);
    expect(await versions("fine-key")).toBe(1);
    const report = JSON.parse(await readFile(path.join(dir, "out.json"), "utf8")) as {
      schemaVersion: number;
      secrets: { secret: string; action: string }[];
    };
    expect(report.schemaVersion).toBe(1);
    expect(report.secrets.find((r) => r.secret === "due-key")?.action).toBe("rotated");
    const html = await cli(["sweep", "clivault", "--report", "out.html"]);
    expect(html.code).toBe(0);
    expect(await readFile(path.join(dir, "out.html"), "utf8")).toContain(
      "<title>akv-rotator compliance report</title>",
    );
  });

  it("sweep --rotate exits 0 once it rotated every expired secret (counts after rotation); rows say whether a secret is enabled", async () => {
    await stack.kv.setSecret("expired-key", "CANARY-cli-expired", {
      tags: { RotatorType: "random" },
      expiresOn: new Date(Date.now() - DAY),
    });
    await stack.kv.setSecret("off-key", "CANARY-cli-off", { enabled: false });
    // Without --rotate the expired secret stays expired: exit 1.
    expect((await cli(["sweep", "clivault"])).code).toBe(1);
    const run = await cli(["sweep", "clivault", "--rotate", "--report", "after.json"]);
    expect(run.out).toContain("1 rotated, 0 failed");
    expect(run.code).toBe(0);
    expect(await versions("expired-key")).toBe(2);
    const report = JSON.parse(await readFile(path.join(dir, "after.json"), "utf8")) as {
      secrets: { secret: string; state: string; action: string; enabled: boolean }[];
      summary: { unresolved: number };
    };
    const row = (name: string): unknown => report.secrets.find((r) => r.secret === name);
    expect(row("expired-key")).toMatchObject({ state: "expired", action: "rotated", enabled: true });
    expect(row("off-key")).toMatchObject({ enabled: false });
    expect(report.summary.unresolved).toBe(0);
  });

  it("rotate: --dry-run changes nothing, then rotates with --force; exit 1 on failure", async () => {
    const dry = await cli(["rotate", "clivault", "fine-key", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain("skipped (dry-run)");
    expect(await versions("fine-key")).toBe(1);
    const forced = await cli(["rotate", "clivault", "fine-key", "--force", "--json"]);
    expect(JSON.parse(forced.out)).toMatchObject({ status: "rotated", trigger: "cli" });
    const missing = await cli(["rotate", "clivault", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain("failed SecretNotFound");
  });

  it.each([
    [[], "a command is required"],
    [["frob"], "unknown command 'frob'"],
    [["status", "clivault"], "status takes <vault> <secret>"],
    [["status", "clivault", "bad_name"], "is not a secret name"],
    [["validate"], "validate takes one or more vaults"],
    [["validate", "clivault", "--force"], "--force does not apply to validate"],
    [["sweep", "clivault", "--report", "x.txt"], "--report must end in .html or .json"],
    [["sweep", "not a vault!"], "is not a vault"],
    [["rotate", "clivault", "x", "--bogus"], "Unknown option '--bogus'"],
    [["status", "evil=notaurl", "x"], "'notaurl' is not a URL"],
    [["validate", "a=b=c"], "'a' is not a vault name"],
    [["validate", "http://my-vault.vault.azure.net"], "must use https"],
    [["validate", "local=http://127.0.0.1:1"], "must use https"],
    [["validate", "local=https://127.0.0.1:1/path"], "base URL only"],
  ])("exit 2 with the usage for %j", async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain("usage: akv-rotator");
  });

  it("exit 2 when rotating without the app's storage, naming the setting", async () => {
    const r = await cli(["rotate", "clivault", "fine-key"], { ...stack.env, AzureWebJobsStorage: undefined });
    expect(r.code).toBe(2);
    expect(r.err).toContain("AzureWebJobsStorage");
  });

  it("runs as the packaged executable (bundled), with real exit codes", async () => {
    const build = spawnSync(process.execPath, ["scripts/build.mjs", "--cli"], { encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    // Asynchronously: the emulators the CLI talks to live in this process.
    const run = (
      args: string[],
      env: NodeJS.ProcessEnv,
    ): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          ["bin/akv-rotator.js", ...args],
          { env, timeout: 60_000 },
          (error, stdout, stderr) =>
            resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const status = await run(["status", "clivault", "due-key", "--json"], { ...process.env, ...stack.env });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ secret: "due-key" });
    expect((await run(["nope"], process.env)).code).toBe(2);
  });
});
