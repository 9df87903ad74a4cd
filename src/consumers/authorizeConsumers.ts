import { RotationError } from "../errors.js";
import type { Consumer } from "./consumer.js";

/** Whether `id` is `scope` or lies under it (whole path segments, ARM's case-insensitive comparison). */
function within(id: string, scope: string): boolean {
  const a = id.toLowerCase();
  const s = scope.toLowerCase().replace(/\/+$/, "");
  return s !== "" && (a === s || a.startsWith(`${s}/`));
}

/**
 * Consumers are bindings too (DESIGN.md, security model): the app touches only those an authority other
 * than the tag-writer allows. `allowedScopes` are the ARM scopes (a subscription, a resource group, a
 * resource) AKV_ROTATOR_ALLOWED_TARGETS allows for the secret's vault (armScopesFor). Empty: every consumer
 * is refused (fail closed). The error names the consumer and the tag, and nothing is told.
 */
export function authorizeConsumers(
  consumers: readonly Consumer[],
  allowedScopes: readonly string[],
  secret: string,
): void {
  const refused = consumers.filter((c) => !allowedScopes.some((scope) => within(c.id, scope)));
  if (refused.length === 0) return;
  throw new RotationError(
    "ConsumerNotAllowed",
    `secret '${secret}': tag Consumers names ${refused.map((c) => `'${c.label}'`).join(", ")}, outside the targets this app may touch (${allowedScopes.length === 0 ? "none are allowed" : "the allowlist"}); nothing was changed`,
    false,
  );
}
