import { rootCertificates } from "node:tls";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { AppConfig } from "../config.js";
import { deadlinePolicy } from "./deadlinePolicy.js";

/**
 * Options every Azure SDK client of the app gets: the same retry policy, the user agent, and, for the
 * local emulators, their CA added to (not replacing) the system's roots. Emulators are reached through
 * these options only, never through a code path production does not take.
 */
export interface SdkClientOptions {
  tlsOptions?: { ca: string[] };
  /** `tryTimeoutInMs` is the storage SDK's per-attempt deadline; the others get `additionalPolicies`. */
  retryOptions: {
    maxRetries: number;
    retryDelayInMs: number;
    maxRetryDelayInMs: number;
    tryTimeoutInMs: number;
  };
  userAgentOptions: { userAgentPrefix: string };
  /** The deadline on every attempt (deadlinePolicy); clients that add policies of their own keep it. */
  additionalPolicies?: { policy: PipelinePolicy; position: "perCall" | "perRetry" }[];
}

/** Without CALL_TIMEOUT_SECONDS (a rotator's test context, say): the default. */
const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export function sdkClientOptions(
  config: Pick<AppConfig, "tlsCa"> & {
    credential?: AppConfig["credential"];
    callTimeoutSeconds?: AppConfig["callTimeoutSeconds"];
  },
): SdkClientOptions {
  const callMs = config.callTimeoutSeconds ? config.callTimeoutSeconds * 1000 : DEFAULT_CALL_TIMEOUT_MS;
  // Against the emulators (loopback only) their CA is all that is needed. Elsewhere (a TLS-inspecting proxy's
  // CA, say) it is added to the system roots. Node keys its connection pool on the CA list for every request,
  // so the short list also keeps requests cheap.
  const ca = config.tlsCa
    ? config.credential === "emulator"
      ? [config.tlsCa]
      : [...rootCertificates, config.tlsCa]
    : undefined;
  return {
    ...(ca ? { tlsOptions: { ca } } : {}),
    retryOptions: { maxRetries: 4, retryDelayInMs: 500, maxRetryDelayInMs: 30_000, tryTimeoutInMs: callMs },
    userAgentOptions: { userAgentPrefix: "akv-rotator/0.1" },
    additionalPolicies: [{ policy: deadlinePolicy(callMs), position: "perRetry" }],
  };
}

/** The same options for a client whose calls are not idempotent: the SDK never repeats them (see writeOnce). */
export function withoutRetries<T extends { retryOptions?: SdkClientOptions["retryOptions"] }>(options: T): T {
  return {
    ...options,
    retryOptions: {
      ...(options.retryOptions ?? { retryDelayInMs: 500, maxRetryDelayInMs: 30_000 }),
      maxRetries: 0,
    },
  };
}
