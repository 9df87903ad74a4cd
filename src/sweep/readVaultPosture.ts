import type { TokenCredential } from "@azure/core-auth";
import type { AppConfig } from "../config.js";
import { sdkClientOptions } from "../vault/clientOptions.js";
import {
  evaluateVaultPosture,
  type DiagnosticSetting,
  type VaultPosture,
  type VaultProperties,
} from "./vaultPosture.js";

type PostureConfig = Pick<AppConfig, "armEndpoint" | "tlsCa" | "credential" | "policy">;

/** Client options for both management clients: the configured ARM endpoint, tokens for ARM's audience. */
function armOptions(config: PostureConfig): Record<string, unknown> {
  const scope = "https://management.azure.com/.default";
  return {
    ...sdkClientOptions(config),
    endpoint: config.armEndpoint,
    $host: config.armEndpoint,
    credentialScopes: [scope],
    credentials: { scopes: [scope] },
  };
}

/** ARM's answer in one line: its error code and message (names and actions, never a secret). */
function armProblem(error: unknown): string {
  const e = error as { statusCode?: number; code?: string; message?: string };
  const message = (e.message ?? String(error)).split("\n")[0]?.slice(0, 300);
  return `${e.statusCode ? `HTTP ${e.statusCode} ` : ""}${e.code ? `${e.code}: ` : ""}${message}`;
}

/**
 * Reads each vault's properties and diagnostic settings through ARM (`@azure/arm-keyvault`,
 * `@azure/arm-monitor`, loaded on first use so the functions' cold start does not pay for them) and checks
 * them. Needs only read access (Reader on the vault). A vault without a resource ID, or that ARM refuses,
 * is reported with why, never thrown.
 */
export async function readVaultPosture(
  config: PostureConfig,
  vaults: { name: string; resourceId?: string }[],
  credential: TokenCredential,
): Promise<VaultPosture[]> {
  const out: VaultPosture[] = [];
  for (const vault of vaults) {
    const id = vault.resourceId;
    const parts = id?.split("/");
    if (!id || !parts || parts.length !== 9) {
      out.push({
        vault: vault.name,
        checks: [],
        error: "no vault resource ID: set KEYVAULT_RESOURCE_IDS (azd sets it for the vaults it deploys for)",
      });
      continue;
    }
    const [subscriptionId, resourceGroup, name] = [
      parts[2] as string,
      parts[4] as string,
      parts[8] as string,
    ];
    const [{ KeyVaultManagementClient }, { MonitorClient }] = await Promise.all([
      import("@azure/arm-keyvault"),
      import("@azure/arm-monitor"),
    ]);
    const errors: { vault?: string; diagnostics?: string } = {};
    const props = await new KeyVaultManagementClient(credential, subscriptionId, armOptions(config)).vaults
      .get(resourceGroup, name)
      .then((v) => v.properties as VaultProperties)
      .catch((error: unknown) => {
        errors.vault = armProblem(error);
        return undefined;
      });
    const diagnostics = await new MonitorClient(
      credential,
      subscriptionId,
      armOptions(config),
    ).diagnosticSettings
      // The client puts a '/' before the resource URI itself.
      .list(id.replace(/^\/+/, ""))
      .then((r) => (r.value ?? []) as DiagnosticSetting[])
      .catch((error: unknown) => {
        errors.diagnostics = armProblem(error);
        return undefined;
      });
    out.push({
      vault: vault.name,
      resourceId: id,
      checks: evaluateVaultPosture(name, id, props, diagnostics, config.policy.requiredRetentionDays, errors),
    });
  }
  return out;
}
