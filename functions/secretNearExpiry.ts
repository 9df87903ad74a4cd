import type { InvocationContext } from "@azure/functions";
import { findVault } from "../src/config.js";
import { rotatorApp } from "../src/runtime.js";
import { parseKeyVaultEvent } from "../src/triggers/keyVaultEvent.js";
import { register } from "./functionDefinition.js";

/**
 * Event Grid trigger for Key Vault's SecretNearExpiry and SecretExpired (Event Grid or CloudEvents schema).
 * Returns normally to acknowledge; throws for a retryable failure (busy, a dependency down) so Event Grid
 * redelivers. Other event types, malformed events and foreign vaults are acknowledged, logged, and ignored.
 */
export async function secretNearExpiry(event: unknown, context: InvocationContext): Promise<void> {
  const parsed = parseKeyVaultEvent(event);
  if (parsed.kind === "invalid") {
    context.warn(`ignored a malformed event: ${parsed.problem}`);
    return;
  }
  if (parsed.kind === "ignored") {
    context.log(`acknowledged event ${parsed.eventId}: ${parsed.reason}`);
    return;
  }
  const app = await rotatorApp();
  const vault = findVault(app.config, parsed.vaultName);
  if (
    !vault ||
    (parsed.objectUrl && !parsed.objectUrl.toLowerCase().startsWith(`${vault.url.toLowerCase()}/`))
  ) {
    context.warn(`refused event ${parsed.eventId}: vault '${parsed.vaultName}' is not one of KEYVAULT_URIS`);
    return;
  }
  const outcome = await app.engine.rotate({
    vault: vault.name,
    secret: parsed.secretName,
    trigger: "event",
    expectedVersion: parsed.version,
  });
  const summary = `${parsed.eventType.replace("Microsoft.KeyVault.", "")} ${vault.name}/${parsed.secretName}: ${outcome.status}`;
  if (outcome.status === "busy") throw new Error(`${summary}; Event Grid will redeliver`);
  if (outcome.status === "failed") {
    const line = `${summary} ${outcome.error.code}: ${outcome.error.message}`;
    if (outcome.error.retryable) throw new Error(`${line}; Event Grid will redeliver`);
    context.error(`${line} (not retryable; recorded in the audit trail)`);
    return;
  }
  context.log(
    outcome.status === "skipped"
      ? `${summary} (${outcome.reason}: ${outcome.detail})`
      : `${summary} -> version ${outcome.newVersion}`,
  );
}

export const secretNearExpiryFunction = register({
  name: "secretNearExpiry",
  trigger: "eventGrid",
  options: { handler: secretNearExpiry },
});
