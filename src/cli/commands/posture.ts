import type { TokenCredential } from "@azure/core-auth";
import type { AppConfig } from "../../config.js";
import { readVaultPosture } from "../../sweep/readVaultPosture.js";
import { postureNeedsAttention } from "../../sweep/vaultPosture.js";
import type { CliIo } from "../cliContext.js";

/**
 * `posture <vault...>`: each vault's soft delete, purge protection, permission model, network exposure,
 * private link and resource logs against the Azure Policy definitions, through ARM (read access only), with
 * what to change for each failing check. Exit code 1 when a check fails or cannot be made.
 */
export async function postureCommand(
  config: AppConfig,
  vaults: { name: string; resourceId?: string }[],
  credential: TokenCredential,
  io: CliIo,
  json: boolean,
): Promise<number> {
  const posture = await readVaultPosture(config, vaults, credential);
  if (json) io.out(JSON.stringify(posture, null, 2));
  else {
    for (const v of posture) {
      io.out(`${v.vault}${v.resourceId ? ` (${v.resourceId})` : ""}`);
      if (v.error) io.out(`  ! ${v.error}`);
      for (const c of v.checks) {
        io.out(
          `  ${c.status === "pass" ? "ok  " : c.status === "fail" ? "FAIL" : "??  "} ${c.title} [${c.definitionIds.join(", ")}]: ${c.detail}`,
        );
        if (c.fix) io.out(`       fix: ${c.fix}`);
      }
    }
  }
  return postureNeedsAttention(posture) ? 1 : 0;
}
