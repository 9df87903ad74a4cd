import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureLocalCertificate } from "../../../local/tls/localCertificate.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("the local emulators' certificate", () => {
  it("is shared by emulators starting at once in one process, none failing on another's temporary file", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "akv-rotator-tls-race-"));
    dirs.push(dir);
    for (let round = 0; round < 3; round += 1) {
      // Round 0 makes the certificate; later rounds find a stale CA file that every caller rewrites at once.
      if (round > 0) await writeFile(path.join(dir, "localhost-ca.pem"), "stale");
      const all = await Promise.all(Array.from({ length: 12 }, () => ensureLocalCertificate(dir)));
      expect(new Set(all.map((c) => c.cert)).size).toBe(1);
      expect(await readFile(all[0]?.caCertPath ?? "", "utf8")).toBe(all[0]?.cert);
    }
  });
});
