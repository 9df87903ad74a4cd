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

export function sdkClientOptions(
  config: Pick<AppConfig, "tlsCa"> & { credential?: AppConfig["credential"] },
): SdkClientOptions {
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
    retryOptions: { maxRetries: 4, retryDelayInMs: 500, maxRetryDelayInMs: 30_000 },
    userAgentOptions: { userAgentPrefix: "akv-rotator/0.1" },
  };
}
