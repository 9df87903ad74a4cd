import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import { keyVaultResolver } from "../../local/arm/keyVaultResolver.js";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import type { RotationOutcome } from "../../src/rotation/rotationOutcome.js";
import { startArm } from "./armFixture.js";
import { startRotationStack, type RotationStack } from "./rotationStack.js";

export const CONSUMER_SUB = "0f0f0f0f-1111-2222-3333-444444444444";
/** The ARM scope the consumer tests' apps may touch. */
export const CONSUMER_SCOPE = `/subscriptions/${CONSUMER_SUB}/resourceGroups/apps`;

export interface ConsumerStack {
  stack: RotationStack;
  arm: ArmEmulator;
  app: RotatorApp;
  env: Record<string, string>;
  rotate(a: RotatorApp, name: string, version: string): Promise<RotationOutcome>;
  versionCount(name: string): Promise<number>;
  stop(): Promise<void>;
}

/** The rotation stack plus an ARM emulator whose consumers resolve against its Key Vault emulator. */
export async function startConsumerStack(): Promise<ConsumerStack> {
  const stack = await startRotationStack();
  const arm = await startArm({ resolveSecret: keyVaultResolver([stack.vault.emulator]) });
  const env = {
    ARM_ENDPOINT: arm.url,
    CONSUMER_SUBSCRIPTION_ID: CONSUMER_SUB,
    CONSUMER_WAIT_SECONDS: "10",
    // Consumers are bindings: the allowlist names their resource group (and, for this vault only, nothing else).
    AKV_ROTATOR_ALLOWED_TARGETS: `${stack.env.AKV_ROTATOR_ALLOWED_TARGETS ?? ""} rotation=${CONSUMER_SCOPE}`,
  };
  const app = await stack.app({ env });
  return {
    stack,
    arm,
    app,
    env,
    rotate: (a, name, version) =>
      a.engine.rotate({ vault: "rotation", secret: name, trigger: "event", expectedVersion: version }),
    versionCount: async (name) => {
      let n = 0;
      for await (const _ of stack.kv.listPropertiesOfSecretVersions(name)) n += 1;
      return n;
    },
    stop: async () => {
      await Promise.all([stack.stop(), arm.stop()]);
    },
  };
}
