import { readFileSync } from "node:fs";
import path from "node:path";
import type { RotatorContext } from "../../src/rotators/rotator.js";
import { sdkClientOptions } from "../../src/vault/clientOptions.js";
import { TEST_CERT_DIR } from "./keyVaultFixture.js";

/** Management-plane settings for a rotator called directly: the emulators' endpoints and CA. */
export function azureContext(
  endpoints: { arm?: string; graph?: string; authority?: string } = {},
): RotatorContext["azure"] {
  let tlsCa: string | undefined;
  try {
    tlsCa = readFileSync(path.join(TEST_CERT_DIR, "localhost-ca.pem"), "utf8");
  } catch {
    tlsCa = undefined;
  }
  return {
    // Port 9 (discard) on loopback: a rotator that should not call ARM fails fast if it does.
    armEndpoint: endpoints.arm ?? "https://127.0.0.1:9",
    graphEndpoint: endpoints.graph ?? "https://127.0.0.1:9",
    authorityHost: endpoints.authority ?? "https://127.0.0.1:9",
    clientOptions: sdkClientOptions({ credential: "emulator", ...(tlsCa ? { tlsCa } : {}) }),
  };
}

/** The run fields of a CredentialChange for a rotator called directly: a rotation id and a month's validity. */
export function runFields(): { rotationId: string; validUntil: Date } {
  return { rotationId: `direct-${Date.now()}`, validUntil: new Date(Date.now() + 30 * 86_400_000) };
}
