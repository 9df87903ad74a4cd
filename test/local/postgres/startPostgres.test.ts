import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startPostgres } from "../../../local/postgres/startPostgres.js";

describe("embedded PostgreSQL", () => {
  it("that cannot start is reported at once with the server's own reason, and leaves nothing behind", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as { port: number }).port;
    const dir = path.join(
      os.tmpdir(),
      `akv-rotator-pg-busy-${process.pid}-${randomBytes(4).toString("hex")}`,
    );
    try {
      await expect(
        startPostgres({ dir, port, password: randomBytes(18).toString("base64url") }),
      ).rejects.toThrow(/PostgreSQL on port \d+ exited[\s\S]*could not (bind|create)/);
    } finally {
      blocker.close();
    }
    expect(existsSync(dir)).toBe(false);
  });
});
