import type { PolicyParameters } from "../config.js";
import type { ListedSecret } from "./classifySecret.js";

/**
 * The Azure Policy built-in definitions for Key Vault secrets (category Key Vault, data plane) that the
 * report evaluates each secret against, by definition ID, with their parameters from the settings.
 * Semantics follow each definition's rule: see README, "Compliance report".
 */
export const SECRET_POLICIES = [
  {
    name: "expiration-set",
    definitionId: "98728c90-32c7-4049-8429-847dc0f4fe37",
    displayName: "Key Vault secrets should have an expiration date",
  },
  {
    name: "days-before-expiration",
    definitionId: "b0eb591a-5e70-4534-a8bf-04b9c489584a",
    displayName: "Secrets should have more than the specified number of days before expiration",
    parameter: "minimumDaysBeforeExpiration",
  },
  {
    name: "maximum-validity",
    definitionId: "342e8053-e12e-4c44-be01-c3c2f318400f",
    displayName: "Secrets should have the specified maximum validity period",
    parameter: "maximumValidityInDays",
  },
  {
    name: "maximum-active",
    definitionId: "e8d99835-8a06-45ae-a8e0-87a91941ccfe",
    displayName: "Secrets should not be active for longer than the specified number of days",
    parameter: "maximumValidityInDays",
  },
  {
    name: "content-type",
    definitionId: "75262d3e-ba4a-4f43-85f8-9f72c090e5e3",
    displayName: "Secrets should have content type set",
  },
] as const;

export type SecretPolicyName = (typeof SECRET_POLICIES)[number]["name"];
export type PolicyResult = "pass" | "fail" | "n/a";
export type PolicyResults = Record<SecretPolicyName, PolicyResult>;

export interface PolicyDescription {
  name: SecretPolicyName;
  definitionId: string;
  displayName: string;
  parameters: Record<string, number>;
}

/** The policies with the values their parameters take here, for the report's header. */
export function describePolicies(params: PolicyParameters): PolicyDescription[] {
  const values: Record<SecretPolicyName, Record<string, number>> = {
    "expiration-set": {},
    "days-before-expiration": { minimumDaysBeforeExpiration: params.minimumDaysBeforeExpiration },
    "maximum-validity": { maximumValidityInDays: params.maximumValidityInDays },
    "maximum-active": { maximumValidityInDays: params.maximumActiveDays },
    "content-type": {},
  };
  return SECRET_POLICIES.map((p) => ({
    name: p.name,
    definitionId: p.definitionId,
    displayName: p.displayName,
    parameters: values[p.name],
  }));
}

const DAY = 86_400_000;

/**
 * One secret against every policy at `now`. No expiry: `expiration-set` and `maximum-validity` fail (the
 * validity is unbounded), `days-before-expiration` does not apply. Active since `notBefore`, else creation.
 */
export function evaluateSecretPolicies(
  secret: ListedSecret,
  now: Date,
  params: PolicyParameters,
): PolicyResults {
  const t = now.getTime();
  const expires = secret.expiresOn?.getTime();
  const created = secret.createdOn?.getTime();
  const activeSince = secret.notBefore?.getTime() ?? created;
  return {
    "expiration-set": expires === undefined ? "fail" : "pass",
    "days-before-expiration":
      expires === undefined
        ? "n/a"
        : expires - t > params.minimumDaysBeforeExpiration * DAY
          ? "pass"
          : "fail",
    "maximum-validity":
      expires === undefined
        ? "fail"
        : created === undefined
          ? "n/a"
          : expires - created > params.maximumValidityInDays * DAY
            ? "fail"
            : "pass",
    "maximum-active":
      activeSince === undefined ? "n/a" : t - activeSince > params.maximumActiveDays * DAY ? "fail" : "pass",
    "content-type": secret.contentType ? "pass" : "fail",
  };
}
