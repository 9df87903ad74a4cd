import { randomSecretRotator } from "../../src/rotators/randomSecret.js";
import { rotatorContract } from "./contract.js";

rotatorContract("random", () => ({
  rotator: randomSecretRotator,
  requiredTags: [],
  verifyRejectsWrongValue: false,
  // No target: nothing to ask whether it accepts a value; the contract checks new values against the policy.
  arrange: async (id) => ({ tags: { RotatorType: "random" }, value: `CANARY-api-key-${id}` }),
}));
