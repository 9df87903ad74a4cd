import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import type { Rotator } from "../../src/rotators/rotator.js";
import { startArm } from "../helpers/armFixture.js";
import { azureContext } from "../helpers/rotatorContext.js";
import type { ContractSubject } from "./contract.js";

/** The contract subject of a key rotator: an ARM emulator resource with two keys, the first one held. */
export function keyRotatorSubject(
  rotator: Rotator,
  add: (arm: ArmEmulator, name: string) => { id: string; keys: Record<string, string> },
  credentialId: string,
  firstKeyField: string,
): () => ContractSubject {
  let arm: ArmEmulator;
  const resources = new Map<string, { keys: Record<string, string> }>();
  return () => ({
    rotator,
    setup: async () => {
      arm = await startArm();
    },
    teardown: async () => arm?.stop(),
    arm: () => arm,
    azure: () => azureContext({ arm: arm.url }),
    env: () => ({ ARM_ENDPOINT: arm.url }),
    arrange: async (id) => {
      const resource = add(arm, `acct${id}`.toLowerCase());
      resources.set(resource.id, resource);
      return {
        tags: { ProviderAddress: resource.id, CredentialId: credentialId },
        value: resource.keys[firstKeyField] as string,
      };
    },
    // A consumer holding this value can use the resource: it is one of the keys ARM holds now.
    accepts: async (tags, value) =>
      Object.values(resources.get(tags.ProviderAddress ?? "")?.keys ?? {}).includes(value),
    requiredTags: ["ProviderAddress", "CredentialId"],
    verifyRejectsWrongValue: true,
  });
}
