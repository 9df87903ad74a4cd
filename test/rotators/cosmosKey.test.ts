import { describe, expect, it } from "vitest";
import { planRotation } from "../../src/rotation/rotationPlan.js";
import { cosmosKeyRotator } from "../../src/rotators/cosmosKey.js";
import { rotatorContract } from "./contract.js";
import { keyRotatorSubject } from "./keyRotatorSubject.js";

rotatorContract(
  "cosmos-key",
  keyRotatorSubject(
    cosmosKeyRotator,
    (arm, name) => arm.addCosmosAccount(name),
    "primary",
    "primaryMasterKey",
  ),
);
rotatorContract(
  "cosmos-key (samples' Primary spelling)",
  keyRotatorSubject(
    cosmosKeyRotator,
    (arm, name) => arm.addCosmosAccount(name),
    "Primary",
    "primaryMasterKey",
  ),
);
rotatorContract(
  "cosmos-key (read-only pair)",
  keyRotatorSubject(
    cosmosKeyRotator,
    (arm, name) => arm.addCosmosAccount(name),
    "secondaryReadonly",
    "secondaryReadonlyMasterKey",
  ),
);

describe("cosmos-key spellings", () => {
  const account = "/subscriptions/s/resourceGroups/g/providers/Microsoft.DocumentDB/databaseAccounts/orders";
  it.each([
    ["key1", "key2"],
    ["Primary", "Secondary"],
    ["secondary", "primary"],
    ["primaryReadonly", "secondaryReadonly"],
    ["PRIMARY", "secondary"],
  ])("%s takes turns with %s", (from, to) => {
    const plan = planRotation("s", { ProviderAddress: account, CredentialId: from }, 60);
    expect(plan.managed && plan.plan).toMatchObject({
      rotatorType: "cosmos-key",
      strategy: "dual",
      credentialId: to,
    });
  });

  it("refuses other key names, listing the accepted ones", () => {
    expect(() => planRotation("s", { ProviderAddress: account, CredentialId: "master" }, 60)).toThrow(
      /CredentialId.*key1, key2/,
    );
  });
});
