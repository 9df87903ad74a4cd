import { readFileSync } from "node:fs";
import { request } from "node:https";
import os from "node:os";
import path from "node:path";
import type { TokenCredential } from "@azure/core-auth";
import { SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import { KeyVaultEmulator, type KeyVaultEmulatorOptions } from "../../local/keyvault/keyVaultEmulator.js";
import { EmulatorCredential } from "../../src/vault/emulatorCredential.js";

/** One certificate for every test run, made once and shared by the emulators the tests start. */
export const TEST_CERT_DIR = path.join(os.tmpdir(), "akv-rotator-test-tls");

export interface VaultFixture {
  emulator: KeyVaultEmulator;
  ca: string;
  /** A real `SecretClient` for the emulator, with the options production injects for emulators. */
  client(credential?: TokenCredential, options?: SecretClientOptions): SecretClient;
  stop(): Promise<void>;
}

export async function startVault(options: KeyVaultEmulatorOptions = {}): Promise<VaultFixture> {
  const emulator = await new KeyVaultEmulator({
    certDir: TEST_CERT_DIR,
    expiryCheckIntervalMs: 0,
    ...options,
  }).start();
  const ca = readFileSync(emulator.caCertPath, "utf8");
  return {
    emulator,
    ca,
    client: (credential = new EmulatorCredential(), clientOptions = {}) =>
      new SecretClient(emulator.url, credential, {
        tlsOptions: { ca },
        disableChallengeResourceVerification: true,
        retryOptions: { maxRetries: 3, retryDelayInMs: 50, maxRetryDelayInMs: 2000 },
        ...clientOptions,
      }),
    stop: () => emulator.stop(),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A plain HTTPS call, for what the SDK hides (status lines, headers, the admin endpoint). */
export async function rawRequest(
  url: string,
  ca: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<RawResponse> {
  const text = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method ?? "GET",
        ca,
        headers: {
          ...(text !== undefined
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(text) }
            : {}),
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: raw ? (JSON.parse(raw) as unknown) : undefined,
          });
        });
      },
    );
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("raw request timed out")));
    req.end(text);
  });
}

export async function emulatorToken(identity = "akv-rotator-local"): Promise<string> {
  return (await new EmulatorCredential(identity).getToken("https://vault.azure.net/.default")).token;
}

/** The error a rejected SDK call carries: status, code and message. */
export async function restError(
  promise: Promise<unknown>,
): Promise<{ statusCode?: number; code?: string; message: string; details?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { statusCode?: number; code?: string; message: string; details?: unknown };
  }
  throw new Error("expected the call to fail, and it succeeded");
}
