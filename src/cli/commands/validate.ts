import { planRotation } from "../../rotation/rotationPlan.js";
import { SecretTagError } from "../../errors.js";
import { PENDING_FOR_TAG } from "../../vault/pendingRecord.js";
import type { VaultGateway } from "../../vault/vaultGateway.js";
import type { CliIo } from "../cliContext.js";

/** `validate <vault...>`: checks every managed secret's tags and says precisely what is wrong. Exit 1 if anything is. */
export async function validateCommand(
  gateways: VaultGateway[],
  defaultValidityDays: number,
  io: CliIo,
  json: boolean,
): Promise<number> {
  const problems: { vault: string; secret: string; tag: string; message: string }[] = [];
  let managed = 0;
  let unmanaged = 0;
  for (const gateway of gateways) {
    for await (const props of gateway.listProperties()) {
      const tags = props.tags ?? {};
      if (tags[PENDING_FOR_TAG] !== undefined) continue;
      try {
        const plan = planRotation(props.name, tags, defaultValidityDays);
        if (plan.managed) managed += 1;
        else unmanaged += 1;
      } catch (error) {
        if (!(error instanceof SecretTagError)) throw error;
        managed += 1;
        problems.push({
          vault: gateway.vault.name,
          secret: props.name,
          tag: error.tag,
          message: error.message,
        });
      }
    }
  }
  if (json) {
    io.out(JSON.stringify({ managed, unmanaged, problems }, null, 2));
  } else {
    for (const p of problems) io.out(`${p.vault}: ${p.message}`);
    io.out(
      `${managed} managed, ${unmanaged} unmanaged secret(s) in ${gateways.length} vault(s): ${problems.length === 0 ? "all tags valid" : `${problems.length} problem(s)`}`,
    );
  }
  return problems.length > 0 ? 1 : 0;
}
