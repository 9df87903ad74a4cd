import { z } from "zod";
import { RotationError, SecretTagError } from "../errors.js";
import { WRITE_RETRY, writeOnce } from "../vault/writeOnce.js";
import { heldForConsumers } from "./consumerHold.js";
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

// Graph's answers, parsed: an application and its client secrets (never their text), and addPassword's answer.
const passwordCredential = z.object({
  keyId: z.string(),
  displayName: z.string().nullish(),
  hint: z.string().nullish(),
  startDateTime: z.string().nullish(),
  endDateTime: z.string().nullish(),
});
const application = z.object({
  appId: z.string(),
  passwordCredentials: z.array(passwordCredential).nullish(),
});
const addedPassword = z.object({ secretText: z.string().min(1) });
type PasswordCredential = z.infer<typeof passwordCredential>;
type Application = z.infer<typeof application>;

/** A Graph answer in the shape expected, or a failure naming what came back wrong (never its content). */
function graphAnswer<T>(schema: z.ZodType<T>, answer: unknown, what: string): T {
  const parsed = schema.safeParse(answer);
  if (parsed.success) return parsed.data;
  throw new RotationError("TargetRejected", `${what}: Graph answered in an unexpected shape`, false);
}

const ADDRESS =
  /^(?:https:\/\/graph\.microsoft\.com\/v1\.0)?\/?applications(?:\/([0-9a-f-]{36})|\(appId='([0-9a-f-]{36})'\))$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OURS = "akv-rotator ";
const DAY_MS = 86_400_000;
const ours = (rotationId: string): string => `${OURS}${rotationId}`;
/** Clock skew allowed between Graph's startDateTime and the RotatedAt tag we wrote. */
const SKEW_MS = 60_000;

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
  const what = `reading application ${target.path}`;
  const app = graphAnswer(application, await graph.call<unknown>("GET", target.path, what), what);
  if (target.appId !== undefined && app.appId.toLowerCase() !== target.appId.toLowerCase())
    throw new RotationError(
      "TargetCredentialNotFound",
      `CredentialId is ${target.appId}, but ${target.path} has client id ${app.appId}`,
      false,
    );
  return app;
}

async function removeSecrets(
  target: EntraAppTarget,
  graph: GraphClient,
  which: (p: PasswordCredential) => boolean,
  app?: Application,
): Promise<void> {
  for (const p of (app ?? (await readApplication(target, graph))).passwordCredentials ?? []) {
    if (!p.displayName?.startsWith(OURS) || !which(p)) continue;
    try {
      await graph.call(
        "POST",
        `${target.path}/removePassword`,
        `removing a client secret of ${target.path}`,
        {
          keyId: p.keyId,
        },
      );
    } catch (error) {
      // A retry after a lost answer finds the secret gone (Graph: 400 "No password credential found"): done.
      const after = await readApplication(target, graph);
      if ((after.passwordCredentials ?? []).some((q) => q.keyId === p.keyId)) throw error;
    }
  }
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
  // addPassword is not idempotent and Graph shows a secret's text only in its answer: never repeated by the
  // pipeline; after a lost answer, a secret of this rotation that landed is removed, then one is added again.
  issue: async (target, change, ctx) => {
    const end = new Date(change.validUntil.getTime() + target.graceDays * DAY_MS);
    const graph = new GraphClient(ctx);
    const once = new GraphClient(ctx, { once: true });
    const what = `adding a client secret to ${target.path}`;
    return writeOnce(
      WRITE_RETRY,
      async () =>
        graphAnswer(
          addedPassword,
          await once.call<unknown>("POST", `${target.path}/addPassword`, what, {
            passwordCredential: { displayName: ours(change.rotationId), endDateTime: end.toISOString() },
          }),
          what,
        ).secretText,
      async () => {
        await removeSecrets(target, graph, (p) => p.displayName === ours(change.rotationId));
        return undefined;
      },
      (error) =>
        error instanceof RotationError
          ? error
          : new RotationError("TargetUnreachable", `${what}: ${(error as Error).message}`, true),
    );
  },
  // Retires secrets it made earlier: after the grace period all but the active one; at once those made after
  // the active one took over, which no version holds (rotations that failed before their commit).
  apply: async (target, change, ctx) => {
    const graph = new GraphClient(ctx);
    const since = target.activeSince?.getTime();
    const now = (ctx.now?.() ?? new Date()).getTime();
    const keep = new Set([
      ours(change.rotationId),
      ...(target.activeRotationId ? [ours(target.activeRotationId)] : []),
    ]);
    const pastGrace = since !== undefined && now >= since + target.graceDays * DAY_MS;
    const orphan = (p: PasswordCredential): boolean =>
      since !== undefined && new Date(p.startDateTime ?? 0).getTime() > since + SKEW_MS;
    // Past the grace period, an old secret consumers may still use waits for them, up to its own end.
    const retire = (p: PasswordCredential): boolean =>
      pastGrace &&
      !heldForConsumers(ctx, new Date(p.endDateTime ?? 0), `client secret '${p.displayName ?? p.keyId}'`);
    await removeSecrets(target, graph, (p) => !keep.has(p.displayName ?? "") && (orphan(p) || retire(p)));
  },
  retire: async (target, change, ctx) => {
    await removeSecrets(target, new GraphClient(ctx), (p) => p.displayName === ours(change.rotationId));
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
    // Then as consumers use it: a token for the application with the new secret, once Entra has it.
    await proveClientSecret(ctx, await tenantOf(ctx), app.appId, change.newValue);
  },
};
