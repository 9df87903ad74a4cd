import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KeyVaultEmulator } from "../../../local/keyvault/keyVaultEmulator.js";
import { restError, startVault, TEST_CERT_DIR } from "../../helpers/keyVaultFixture.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "kv-state-"));
  dirs.push(dir);
  return dir;
}

describe("Key Vault emulator: state kept in a file", () => {
  it("keeps versions, deleted secrets and raised events across a restart", async () => {
    const dataDir = await tempDir();
    const first = await startVault({ vaultName: "keeper", dataDir });
    const client = first.client();
    const v1 = await client.setSecret("kept", "one", {
      tags: { t: "1" },
      expiresOn: new Date(Date.now() + 86_400_000),
    });
    await client.setSecret("kept", "two");
    await client.setSecret("gone", "x");
    await (await client.beginDeleteSecret("gone", { intervalInMs: 5 })).pollUntilDone();
    await client.setSecret("near", "n", { expiresOn: new Date(Date.now() + 86_400_000) });
    expect(first.emulator.checkExpiry().map((e) => e.subject)).toEqual(["near"]);
    await first.stop();

    const second = await startVault({ vaultName: "keeper", dataDir });
    const again = second.client();
    expect((await again.getSecret("kept")).value).toBe("two");
    const old = await again.getSecret("kept", { version: v1.properties.version as string });
    expect(old.value).toBe("one");
    expect(old.properties.tags).toEqual({ t: "1" });
    expect((await again.getDeletedSecret("gone")).name).toBe("gone");
    expect((await restError(again.setSecret("gone", "y"))).statusCode).toBe(409);
    expect(second.emulator.checkExpiry()).toEqual([]);
    await second.stop();
  });

  it("writes the file atomically and refuses a file that is not its own", async () => {
    const dataDir = await tempDir();
    const vault = await startVault({ vaultName: "atomic", dataDir });
    await vault.client().setSecret("a", "b");
    await vault.stop();
    const file = path.join(dataDir, "keyvault-atomic.json");
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({ format: 1 });
    await writeFile(file, JSON.stringify({ something: "else" }));
    await expect(
      new KeyVaultEmulator({ vaultName: "atomic", dataDir, certDir: TEST_CERT_DIR }).start(),
    ).rejects.toThrow(/not a Key Vault emulator state file/);
  });

  it("keeps nothing on disk without a data directory", async () => {
    const vault = await startVault({ vaultName: "memory" });
    await vault.client().setSecret("a", "b");
    await vault.stop();
    const fresh = await startVault({ vaultName: "memory" });
    expect((await restError(fresh.client().getSecret("a"))).statusCode).toBe(404);
    await fresh.stop();
  });

  it("rejects bad options with a clear error", () => {
    expect(() => new KeyVaultEmulator({ vaultName: "x" })).toThrow(/vaultName 'x'/);
    expect(() => new KeyVaultEmulator({ softDeleteRetentionDays: 3 })).toThrow(/softDeleteRetentionDays/);
  });
});
