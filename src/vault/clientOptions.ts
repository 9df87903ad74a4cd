import { rootCertificates } from "node:tls";
import type { AppConfig } from "../config.js";

/**
 * Options every Azure SDK client of the app gets: the same retry policy, the user agent, and, for the
 * local emulators, their CA added to (not replacing) the system's roots. Emulators are reached through
 * these options only, never through a code path production does not take.
 */
export interface SdkClientOptions {
  tlsOptions?: { ca: string[] };
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  userAgentOptions: { userAgentPrefix: string };
}

export function sdkClientOptions(config: Pick<AppConfig, "tlsCa">): SdkClientOptions {
  return {
    ...(config.tlsCa ? { tlsOptions: { ca: [...rootCertificates, config.tlsCa] } } : {}),
    retryOptions: { maxRetries: 4, retryDelayInMs: 500, maxRetryDelayInMs: 30_000 },
    userAgentOptions: { userAgentPrefix: "akv-rotator/0.1" },
  };
}
