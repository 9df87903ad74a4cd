import { classifySecret } from "../../sweep/classifySecret.js";
import type { AppConfig } from "../../config.js";
import type { VaultGateway } from "../../vault/vaultGateway.js";
import type { CliIo } from "../cliContext.js";

const ATTENTION = new Set(["expired", "overdue", "misconfigured", "pending-stuck"]);

/** `status <vault> <secret>`: the secret's state, expiry, rotation tags and any rotation under way. Never its value. */
export async function statusCommand(
  gateway: VaultGateway,
  secret: string,
  config: AppConfig,
  io: CliIo,
  json: boolean,
): Promise<number> {
  const current = await gateway.readLatest(secret);
  const pending = await gateway.readPending(secret);
  const c = classifySecret(
    {
      name: current.name,
      enabled: current.enabled,
      tags: current.tags,
      ...(current.expiresOn ? { expiresOn: current.expiresOn } : {}),
      ...(current.createdOn ? { createdOn: current.createdOn } : {}),
    },
    new Date(),
    config,
    pending ? { rotationId: pending.rotationId, stagedAt: pending.stagedAt } : undefined,
  );
  const status = {
    vault: gateway.vault.name,
    secret: current.name,
    version: current.version,
    state: c.state,
    detail: c.detail,
    enabled: current.enabled,
    rotator: c.rotator ?? null,
    validityDays: c.validityDays ?? null,
    expiresOn: current.expiresOn?.toISOString() ?? null,
    dueAt: c.dueAt?.toISOString() ?? null,
    rotatedAt: current.tags.RotatedAt ?? null,
    lastRotationId: current.tags.RotationId ?? null,
    credentialId: current.tags.CredentialId ?? null,
    pendingRotation: pending
      ? {
          rotationId: pending.rotationId,
          stagedAt: pending.stagedAt.toISOString(),
          credentialId: pending.credentialId,
        }
      : null,
  };
  if (json) io.out(JSON.stringify(status, null, 2));
  else {
    io.out(`${status.vault}/${status.secret}: ${status.state}`);
    io.out(`  ${status.detail}`);
    io.out(
      `  version ${status.version}${status.enabled ? "" : " (disabled)"}, rotator ${status.rotator ?? "-"}, validity ${status.validityDays ?? "-"} days`,
    );
    if (status.rotatedAt) io.out(`  last rotated ${status.rotatedAt} (rotation ${status.lastRotationId})`);
    if (status.pendingRotation)
      io.out(
        `  rotation ${status.pendingRotation.rotationId} staged ${status.pendingRotation.stagedAt}, not finished`,
      );
  }
  return ATTENTION.has(c.state) ? 1 : 0;
}
