import { randomSecretRotator } from "../../src/rotators/randomSecret.js";
import { rotatorContract } from "./contract.js";

rotatorContract("random", () => ({
  rotator: randomSecretRotator,
  requiredTags: [],
  verifyRejectsWrongValue: false,
  arrange: async (id) => ({ tags: { RotatorType: "random" }, value: `CANARY-api-key-${id}` }),
  accepts: async () => true,
}));
