import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SecretClient } from "@azure/keyvault-secrets";
import { startAzurite, type RunningAzurite } from "../../local/azurite/startAzurite.js";
import { CustomTopicEmulator } from "../../local/eventgrid/customTopicEmulator.js";
import type { KeyVaultEmulatorOptions } from "../../local/keyvault/keyVaultEmulator.js";
import { loadConfig } from "../../src/config.js";
import type { Logger } from "../../src/logging/logger.js";
import { createRotatorApp, type CreateOptions, type RotatorApp } from "../../src/rotation/createEngine.js";
import { startVault, TEST_CERT_DIR, type VaultFixture } from "./keyVaultFixture.js";

/**
 * What the test stacks allow secrets to be bound to: the emulators' subscription, loopback databases and any
 * emulated Entra application. The hostile-tag tests narrow it.
 */
export const TEST_ALLOWED_TARGETS =
  "/subscriptions/00000000-0000-0000-0000-000000000000 127.0.0.1:* localhost:* applications/*";

/** Every log line a test's apps wrote, for assertions and the leak scan. */
export class CapturedLogger implements Logger {
  readonly lines: string[] = [];
  info(message: string, fields?: object): void {
    this.lines.push(`INFO ${message} ${JSON.stringify(fields ?? {})}`);
  }
  warn(message: string, fields?: object): void {
    this.lines.push(`WARN ${message} ${JSON.stringify(fields ?? {})}`);
  }
  error(message: string, fields?: object): void {
    this.lines.push(`ERROR ${message} ${JSON.stringify(fields ?? {})}`);
  }
}

export interface RotationStack {
  vault: VaultFixture;
  azurite: RunningAzurite;
  topic: CustomTopicEmulator;
  /** The app settings of this stack, as the functions would read them. */
  env: Record<string, string>;
  logger: CapturedLogger;
  /** A SecretClient for arranging and inspecting the vault directly. */
  kv: SecretClient;
  app(options?: CreateOptions & { env?: Record<string, string> }): Promise<RotatorApp>;
  stop(): Promise<void>;
}

/** Key Vault emulator + Azurite + an audit topic, all real servers on loopback, and settings pointing at them. */
export async function startRotationStack(vaultOptions: KeyVaultEmulatorOptions = {}): Promise<RotationStack> {
  const key = randomBytes(24).toString("base64");
  const [vault, azurite, topic] = await Promise.all([
    startVault({ vaultName: "rotation", ...vaultOptions }),
    startAzurite(),
    new CustomTopicEmulator({ key, certDir: TEST_CERT_DIR }).start(),
  ]);
  const caFile = path.join(os.tmpdir(), `akv-rotator-ca-${process.pid}.pem`);
  writeFileSync(caFile, vault.ca);
  const env = {
    KEYVAULT_URIS: `${vault.emulator.vaultName}=${vault.emulator.url}`,
    AzureWebJobsStorage: azurite.connectionString,
    AKV_ROTATOR_CREDENTIAL: "emulator",
    AKV_ROTATOR_TLS_CA_FILE: caFile,
    AUDIT_TOPIC_ENDPOINT: topic.endpoint,
    AUDIT_TOPIC_KEY: key,
    LEASE_SECONDS: "15",
    AKV_ROTATOR_ALLOWED_TARGETS: TEST_ALLOWED_TARGETS,
    // Entra's replication wait: the Graph emulator accepts new secrets at once unless a test says otherwise.
    PROPAGATION_WAIT_SECONDS: "2",
  };
  const logger = new CapturedLogger();
  return {
    vault,
    azurite,
    topic,
    env,
    logger,
    kv: vault.client(),
    app: (options = {}) =>
      createRotatorApp(loadConfig({ ...env, ...(options.env ?? {}) }), { logger, ...options }),
    stop: async () => {
      await Promise.all([vault.stop(), azurite.stop(), topic.stop()]);
    },
  };
}
