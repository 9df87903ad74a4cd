import type { RotatorContext } from "./rotator.js";

/**
 * Whether retiring `what` (an old credential consumers may still use) must wait: yes while a consumer of the
 * secret has not confirmed the latest version, until `hardLimit`. Both a wait and a retirement done at the
 * hard limit while consumers still had not confirmed are reported in the outcome.
 */
export function heldForConsumers(ctx: RotatorContext, hardLimit: Date | undefined, what: string): boolean {
  const waiting = ctx.consumers?.unconfirmed ?? [];
  if (waiting.length === 0) return false;
  const now = (ctx.now?.() ?? new Date()).getTime();
  const who = waiting.join(", ");
  if (hardLimit !== undefined && hardLimit.getTime() <= now) {
    ctx.consumers?.report(
      `${what} retired at its hard limit (${hardLimit.toISOString()}), although ${who} never confirmed the latest version`,
    );
    return false;
  }
  ctx.consumers?.report(
    `${what} kept until ${who} confirm the latest version${hardLimit ? `, at most until ${hardLimit.toISOString()}` : ""}`,
  );
  return true;
}
