import type { TokenCredential } from "@azure/core-auth";
import type { AppConfig } from "../config.js";
import { EmulatorCredential } from "./emulatorCredential.js";

/**
 * The app's identity: `DefaultAzureCredential` (honouring AZURE_CLIENT_ID for a user-assigned managed
 * identity), a managed identity only, or the local emulators' credential. `@azure/identity` is imported
 * only when needed, so the emulator path and cold starts do not pay for MSAL.
 */
export async function createCredential(
  config: Pick<AppConfig, "credential" | "managedIdentityClientId">,
): Promise<TokenCredential> {
  if (config.credential === "emulator") return new EmulatorCredential();
  const identity = await import("@azure/identity");
  if (config.credential === "managed-identity") {
    return config.managedIdentityClientId
      ? new identity.ManagedIdentityCredential({ clientId: config.managedIdentityClientId })
      : new identity.ManagedIdentityCredential();
  }
  return new identity.DefaultAzureCredential(
    config.managedIdentityClientId ? { managedIdentityClientId: config.managedIdentityClientId } : {},
  );
}
