import type { Rotator } from "./rotator.js";

/**
 * `random`: a new random value with no external target, for API keys and shared secrets the app itself
 * checks. Nothing to apply; verify checks only that there is a value.
 */
export const randomSecretRotator: Rotator<Record<string, never>> = {
  type: "random",
  resourceTypes: [],
  passwordPolicy: { length: 48, require: ["lower", "upper", "digit"] },
  needsCredentialId: false,
  supportsDual: false,
  parseTarget: () => ({}),
  binding: () => ({}),
  preflight: async () => undefined,
  apply: async () => undefined,
  verify: async (_target, change) => {
    // A resumed rotation may carry a value made under an older policy: any non-empty value is a key.
    if (change.newValue.length === 0) throw new Error("the new value is empty");
  },
};
