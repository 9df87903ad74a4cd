import type { KeyVaultEmulator } from "../keyvault/keyVaultEmulator.js";
import type { SecretResolver } from "./armSites.js";

/** Sites' Key Vault references resolve against these Key Vault emulators (by vault name or URL), in process. */
export function keyVaultResolver(vaults: readonly KeyVaultEmulator[]): SecretResolver {
  return (ref) => {
    const vault = vaults.find((v) =>
      ref.vaultUrl !== undefined
        ? new URL(v.url).origin === ref.vaultUrl
        : v.vaultName.toLowerCase() === ref.vaultName?.toLowerCase(),
    );
    if (!vault) return undefined;
    try {
      const { version } = vault.store.get(ref.secretName, ref.version);
      return { vaultName: vault.vaultName, version: version.version, value: version.value };
    } catch {
      return undefined;
    }
  };
}
