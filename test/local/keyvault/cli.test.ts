import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { SecretClient } from "@azure/keyvault-secrets";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { EmulatorCredential } from "../../../src/vault/emulatorCredential.js";

const tsx = path.resolve("node_modules/.bin/tsx");
const cli = path.resolve("local/keyvault/cli.ts");
let dataDir = "";
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function run(args: string[]): ReturnType<typeof spawn> {
  return spawn(tsx, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

describe("npm run kv-emulator", () => {
  it("prints one JSON line when ready, serves the SDK, and stops cleanly on SIGINT", async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "kv-cli-"));
    const child = run([
      "--port",
      "0",
      "--data-dir",
      dataDir,
      "--vault-name",
      "clivault",
      "--cert-dir",
      path.join(dataDir, "tls"),
    ]);
    const line = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      rl.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    const ready = JSON.parse(line) as {
      url: string;
      caCertPath: string;
      vaultName: string;
      adminUrl: string;
    };
    expect(ready.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.vaultName).toBe("clivault");
    expect(ready.adminUrl).toBe(`${ready.url}/_emulator`);
    const client = new SecretClient(ready.url, new EmulatorCredential(), {
      tlsOptions: { ca: readFileSync(ready.caCertPath, "utf8") },
      disableChallengeResourceVerification: true,
    });
    expect((await client.setSecret("from-cli", "v")).value).toBe("v");
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });

  it("exits 2 with a message naming the bad argument", async () => {
    const child = run(["--soft-delete-days", "3"]);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("--soft-delete-days must be a whole number from 7 to 90, got '3'");
  });
});
