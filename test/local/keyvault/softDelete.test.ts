import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restError, startVault, type VaultFixture } from "../../helpers/keyVaultFixture.js";

let vault: VaultFixture;
let protectedVault: VaultFixture;
beforeAll(async () => {
  vault = await startVault({ vaultName: "softdel", softDeleteRetentionDays: 7 });
  protectedVault = await startVault({ vaultName: "protected", purgeProtection: true });
});
afterAll(async () => {
  await vault.stop();
  await protectedVault.stop();
});

const fast = { intervalInMs: 5 };

describe("Key Vault emulator: soft delete, recovery, purge, backup and restore", () => {
  it("soft-deletes with recoveryId and dates, refuses the name while deleted, and recovers every version", async () => {
    const client = vault.client();
    await client.setSecret("to-delete", "one");
    await client.setSecret("to-delete", "two");
    const deleted = await (await client.beginDeleteSecret("to-delete", fast)).pollUntilDone();
    expect(deleted.recoveryId).toBe(`${vault.emulator.url}/deletedsecrets/to-delete`);
    expect(deleted.deletedOn).toBeInstanceOf(Date);
    expect((deleted.scheduledPurgeDate as Date).getTime() - (deleted.deletedOn as Date).getTime()).toBe(
      7 * 86_400_000,
    );
    expect(deleted.properties.recoveryLevel).toBe("CustomizedRecoverable+Purgeable");

    expect((await restError(client.getSecret("to-delete"))).statusCode).toBe(404);
    const reuse = await restError(client.setSecret("to-delete", "three"));
    expect(reuse.statusCode).toBe(409);
    expect(reuse.code).toBe("Conflict");
    expect(reuse.message).toContain("is currently in a deleted but recoverable state");
    expect(JSON.stringify(reuse.details)).toContain("ObjectIsDeletedButRecoverable");

    const got = await client.getDeletedSecret("to-delete");
    expect(got.name).toBe("to-delete");
    const listed = [];
    for await (const d of client.listDeletedSecrets()) listed.push(d.name);
    expect(listed).toContain("to-delete");

    await (await client.beginRecoverDeletedSecret("to-delete", fast)).pollUntilDone();
    expect((await client.getSecret("to-delete")).value).toBe("two");
    let versions = 0;
    for await (const _ of client.listPropertiesOfSecretVersions("to-delete")) versions += 1;
    expect(versions).toBe(2);
    expect((await restError(client.getDeletedSecret("to-delete"))).message).toBe(
      "Deleted Secret not found: to-delete",
    );
  });

  it("purges a deleted secret so its name can be used again", async () => {
    const client = vault.client();
    await client.setSecret("to-purge", "x");
    await (await client.beginDeleteSecret("to-purge", fast)).pollUntilDone();
    await client.purgeDeletedSecret("to-purge");
    expect((await restError(client.getDeletedSecret("to-purge"))).statusCode).toBe(404);
    expect((await client.setSecret("to-purge", "again")).value).toBe("again");
  });

  it("purges deleted secrets by itself once their scheduled purge date passes", async () => {
    const client = vault.client();
    await client.setSecret("ages-out", "x");
    await (await client.beginDeleteSecret("ages-out", fast)).pollUntilDone();
    vault.emulator.advanceClock(6 * 86_400_000);
    vault.emulator.checkExpiry();
    expect((await client.getDeletedSecret("ages-out")).name).toBe("ages-out");
    vault.emulator.advanceClock(86_400_000 + 1000);
    vault.emulator.checkExpiry();
    expect((await restError(client.getDeletedSecret("ages-out"))).statusCode).toBe(404);
  });

  it("refuses to purge while purge protection is on", async () => {
    const client = protectedVault.client();
    await client.setSecret("kept", "x");
    const deleted = await (await client.beginDeleteSecret("kept", fast)).pollUntilDone();
    expect(deleted.properties.recoveryLevel).toBe("Recoverable");
    const error = await restError(client.purgeDeletedSecret("kept"));
    expect(error.statusCode).toBe(403);
    expect(error.message).toContain("purge protection is enabled");
    expect((await client.getDeletedSecret("kept")).name).toBe("kept");
  });

  it("backs up a secret and restores it, with its versions, into another vault", async () => {
    const source = vault.client();
    await source.setSecret("portable", "v1", { tags: { owner: "me" } });
    await source.setSecret("portable", "v2");
    const blob = await source.backupSecret("portable");
    expect(blob).toBeInstanceOf(Uint8Array);
    const target = protectedVault.client();
    const restored = await target.restoreSecretBackup(blob as Uint8Array);
    expect(restored.name).toBe("portable");
    expect((await target.getSecret("portable")).value).toBe("v2");
    const conflict = await restError(target.restoreSecretBackup(blob as Uint8Array));
    expect(conflict.statusCode).toBe(409);
    const corrupt = await restError(target.restoreSecretBackup(new Uint8Array([1, 2, 3])));
    // As recorded from the service (azure-sdk-for-js recording `can restore a secret (Malformed Backup Bytes)`).
    expect(corrupt).toMatchObject({
      statusCode: 400,
      code: "Malformed backup blob",
      message: "Backup blob contains invalid or corrupt version.",
    });
    // Recording `can recover a deleted secret (non existing)`: the generic SecretNotFound text.
    const recoverMissing = await restError(
      target.beginRecoverDeletedSecret("never-deleted").then((p) => p.pollUntilDone()),
    );
    expect(recoverMissing).toMatchObject({ statusCode: 404, code: "SecretNotFound" });
    expect(recoverMissing.message).toMatch(
      /^A secret with \(name\/id\) never-deleted was not found in this key vault\./,
    );
    expect((await restError(source.backupSecret("never-existed"))).statusCode).toBe(404);
  });
});
