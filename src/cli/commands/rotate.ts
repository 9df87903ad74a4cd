import type { RotatorApp } from "../../rotation/createEngine.js";
import type { RotationOutcome } from "../../rotation/rotationOutcome.js";
import type { CliIo } from "../cliContext.js";

/** `rotate <vault> <secret> [--dry-run] [--force]`: one rotation through the engine, with the same lease as the app. */
export async function rotateCommand(
  app: RotatorApp,
  vault: string,
  secret: string,
  flags: { dryRun: boolean; force: boolean },
  io: CliIo,
  json: boolean,
): Promise<number> {
  const outcome = await app.engine.rotate({
    vault,
    secret,
    trigger: "cli",
    dryRun: flags.dryRun,
    force: flags.force,
  });
  if (json) io.out(JSON.stringify(outcome, null, 2));
  else io.out(describe(outcome));
  return outcome.status === "failed" || outcome.status === "busy" ? 1 : 0;
}

function describe(o: RotationOutcome): string {
  const where = `${o.vault}/${o.secret}`;
  switch (o.status) {
    case "rotated":
      return `${where}: rotated (${o.rotator}) ${o.previousVersion} -> ${o.newVersion}, expires ${o.expiresOn}${o.resumed ? " (finished an interrupted rotation)" : ""}`;
    case "skipped":
      return `${where}: skipped (${o.reason}): ${o.detail}${o.plan ? `\n  plan: ${o.plan.rotator}, ${o.plan.strategy} credential ${o.plan.credentialId || "-"}, ${o.plan.validityDays} days` : ""}`;
    case "busy":
      return `${where}: busy: another rotation holds the lease; try again shortly`;
    case "failed":
      return `${where}: failed ${o.error.code}: ${o.error.message}${o.error.retryable ? " (retryable)" : ""}${o.pendingKept ? "\n  the new value is staged in the pending record; the next run resumes it" : ""}`;
  }
}
