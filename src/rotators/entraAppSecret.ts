import { RotationError, SecretTagError } from "../errors.js";
import { GraphClient, proveClientSecret, tenantOf } from "./graphClient.js";
import type { Rotator, SecretTags } from "./rotator.js";

export interface EntraAppTarget {
  /** Graph path of the application: `/applications/{objectId}` or `/applications(appId='{appId}')`. */
  path: string;
  /** The client id the secret is for, when CredentialId names it; checked against Graph. */
  appId?: string;
  graceDays: number;
  /** The rotation whose client secret the latest version holds, and when it was committed. */
  activeRotationId?: string;
  activeSince?: Date;
}

interface PasswordCredential {
  keyId: string;
  displayName?: string | null;
  hint?: string | null;
  endDateTime?: string | null;
}
interface Application {
  appId: string;
  passwordCredentials?: PasswordCredential[];
}

const ADDRESS =
  /^(?:https:\/\/graph\.microsoft\.com\/v1\.0)?\/?applications(?:\/([0-9a-f-]{36})|\(appId='([0-9a-f-]{36})'\))$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OURS = "akv-rotator ";
const DAY_MS = 86_400_000;
const ours = (rotationId: string): string => `${OURS}${rotationId}`;

function parseTarget(tags: SecretTags, secret: string): EntraAppTarget {
  const match = ADDRESS.exec(tags.ProviderAddress ?? "");
  if (!match)
    throw new SecretTagError(
      secret,
      "ProviderAddress",
      `${tags.ProviderAddress === undefined ? "is required" : "is not an application"}: applications/{objectId} or applications(appId='{clientId}')`,
    );
  const appId = tags.CredentialId;
  if (appId !== undefined && !GUID.test(appId))
    throw new SecretTagError(secret, "CredentialId", "must be the application's client id (a GUID) when set");
  const rawGrace = tags.GracePeriodDays ?? "7";
  const graceDays = Number(rawGrace);
  if (!/^\d{1,3}$/.test(rawGrace) || graceDays > 365)
    throw new SecretTagError(
      secret,
      "GracePeriodDays",
      `must be a whole number of days from 0 to 365, got '${rawGrace.slice(0, 16)}'`,
    );
  const rotatedAt = tags.RotatedAt !== undefined ? new Date(tags.RotatedAt) : undefined;
  return {
    path: match[1] ? `/applications/${match[1]}` : `/applications(appId='${match[2] as string}')`,
    ...(appId !== undefined ? { appId } : {}),
    graceDays,
    ...(tags.RotationId ? { activeRotationId: tags.RotationId } : {}),
    ...(rotatedAt && !Number.isNaN(rotatedAt.getTime()) ? { activeSince: rotatedAt } : {}),
  };
}

async function readApplication(target: EntraAppTarget, graph: GraphClient): Promise<Application> {
  const app = await graph.call<Application>("GET", target.path, `reading application ${target.path}`);
  if (target.appId !== undefined && app.appId.toLowerCase() !== target.appId.toLowerCase())
    throw new RotationError(
      "TargetCredentialNotFound",
      `CredentialId is ${target.appId}, but ${target.path} has client id ${app.appId}`,
      false,
    );
  return app;
}

/**
 * `entra-app-secret`: an Entra application's client secret through Microsoft Graph. Adds a new secret that
 * outlives the version by the grace period, stages it, then retires the secrets it made earlier, except the
 * one the latest version holds, once `GracePeriodDays` (default 7) have passed since that one took over.
 * Secrets akv-rotator did not make are never removed.
 */
export const entraAppSecretRotator: Rotator<EntraAppTarget> = {
  type: "entra-app-secret",
  resourceTypes: [],
  needsCredentialId: false,
  supportsDual: false,
  parseTarget,
  binding: (target) => ({ target: { kind: "application", path: target.path } }),
  preflight: async (target, _change, ctx) => {
    await readApplication(target, new GraphClient(ctx));
  },
  issue: async (target, change, ctx) => {
    const end = new Date(change.validUntil.getTime() + target.graceDays * DAY_MS);
    const created = await new GraphClient(ctx).call<{ secretText?: string }>(
      "POST",
      `${target.path}/addPassword`,
      `adding a client secret to ${target.path}`,
      { passwordCredential: { displayName: ours(change.rotationId), endDateTime: end.toISOString() } },
    );
    return created.secretText ?? "";
  },
  apply: async (target, change, ctx) => {
    const graph = new GraphClient(ctx);
    const since = target.activeSince?.getTime();
    if (since === undefined || (ctx.now?.() ?? new Date()).getTime() < since + target.graceDays * DAY_MS)
      return;
    const keep = new Set([
      ours(change.rotationId),
      ...(target.activeRotationId ? [ours(target.activeRotationId)] : []),
    ]);
    const app = await readApplication(target, graph);
    for (const old of app.passwordCredentials ?? []) {
      if (!old.displayName?.startsWith(OURS) || keep.has(old.displayName)) continue;
      await graph.call(
        "POST",
        `${target.path}/removePassword`,
        `removing an earlier client secret of ${target.path}`,
        {
          keyId: old.keyId,
        },
      );
    }
  },
  verify: async (target, change, ctx) => {
    const app = await readApplication(target, new GraphClient(ctx));
    const mine = app.passwordCredentials?.find((p) => p.displayName === ours(change.rotationId));
    if (!mine)
      throw new RotationError(
        "VerifyFailed",
        `${target.path} has no client secret of rotation ${change.rotationId}`,
        false,
      );
    if (
      mine.hint !== change.newValue.slice(0, 3) ||
      new Date(mine.endDateTime ?? 0) <= (ctx.now?.() ?? new Date())
    )
      throw new RotationError(
        "VerifyFailed",
        `the client secret of rotation ${change.rotationId} is not the value staged, or has expired`,
        false,
      );
    // Then as consumers use it: a token for the application with the new secret.
    await proveClientSecret(ctx, await tenantOf(ctx), app.appId, change.newValue);
  },
};
