import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

const FIXTURE = new URL("../../fixtures/processes/serversThenWait.ts", import.meta.url).pathname;

/** True while something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("servers started for tests and npm start", () => {
  it("never outlive the process that started them, even when it is killed with SIGKILL", async () => {
    const parent = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: parent.stdout }).once("line", resolve);
      parent.once("exit", (code) =>
        reject(new Error(`the fixture exited (${code}) before starting its servers`)),
      );
    });
    const ports = JSON.parse(line) as { azurite: number; postgres: number; dir: string };
    expect(await listening(ports.azurite)).toBe(true);
    expect(await listening(ports.postgres)).toBe(true);

    parent.kill("SIGKILL");
    // The watchdogs see their stdin close and stop the servers: poll a bounded number of times.
    for (
      let i = 0;
      i < 100 && ((await listening(ports.azurite)) || (await listening(ports.postgres)));
      i += 1
    )
      await new Promise((r) => setTimeout(r, 200));
    await rm(ports.dir, { recursive: true, force: true });
    expect(await listening(ports.azurite)).toBe(false);
    expect(await listening(ports.postgres)).toBe(false);
  }, 60_000);
});
