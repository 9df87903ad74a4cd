import type { Rotator } from "./rotator.js";

/**
 * `random`: a new random value with no external target, for API keys and shared secrets the app itself
 * checks. Nothing to apply; verify checks only that the value is what the policy makes.
 */
export const randomSecretRotator: Rotator<Record<string, never>> = {
  type: "random",
  resourceTypes: [],
  passwordPolicy: { length: 48, require: ["lower", "upper", "digit"] },
  needsCredentialId: false,
  supportsDual: false,
  parseTarget: () => ({}),
  preflight: async () => undefined,
  apply: async () => undefined,
  verify: async (_target, change) => {
    if (change.newValue.length !== 48)
      throw new Error("the generated value does not have the policy's length");
  },
};
