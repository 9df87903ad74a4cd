import type { TokenCredential } from "@azure/core-auth";
import { SecretClient } from "@azure/keyvault-secrets";
import type { ContainerClient } from "@azure/storage-blob";
import { eventGridSink, logSink, type AuditSink } from "../audit/auditSink.js";
import { AuditTrail } from "../audit/auditTrail.js";
import type { AppConfig } from "../config.js";
import { consoleLogger, type Logger } from "../logging/logger.js";
import { openAppContainer } from "../storage/appContainer.js";
import { sdkClientOptions, withoutRetries, type SdkClientOptions } from "../vault/clientOptions.js";
import { createCredential } from "../vault/createCredential.js";
import { ThrottleSignal, throttleBackoffPolicy } from "../vault/throttlePolicy.js";
import { WritePacer, writePacingPolicy } from "../vault/writePacer.js";
import { ConfigurationError } from "../errors.js";
import { VaultGateway } from "../vault/vaultGateway.js";
import { LeaseManager } from "./blobLease.js";
import { ConsumerLedger } from "./consumerLedger.js";
import { OpenRotations } from "./openRotations.js";
import { RotationEngine, type EngineDeps } from "./rotationEngine.js";

export interface RotatorApp {
  config: AppConfig;
  engine: RotationEngine;
  audit: AuditTrail;
  vaults: ReadonlyMap<string, VaultGateway>;
  container: ContainerClient;
  credential: TokenCredential;
  /** Every 429 Key Vault answers any client of this app. */
  throttle: ThrottleSignal;
  /** Rotations under way, for the resume timer. */
  openRotations: OpenRotations;
  /** What each secret's consumers were told; the resume timer retries those that could not be. */
  consumerLedger: ConsumerLedger;
}

/** One gateway per configured vault, with the app's client options and the throttle policy. */
export function createVaultGateways(
  config: AppConfig,
  credential: TokenCredential,
  throttle: ThrottleSignal,
): Map<string, VaultGateway> {
  const clientOptions = sdkClientOptions(config);
  return new Map(
    config.vaults.map((vault) => {
      // One pacer per vault: every attempt of a write, from either client, waits for its turn.
      const pacer = new WritePacer();
      const client = (retryOptions: SdkClientOptions["retryOptions"]): SecretClient =>
        new SecretClient(vault.url, credential, {
          ...clientOptions,
          retryOptions,
          disableChallengeResourceVerification: config.credential === "emulator",
          additionalPolicies: [
            { policy: throttleBackoffPolicy(throttle), position: "perCall" },
            { policy: writePacingPolicy(pacer), position: "perRetry" },
            // Innermost: a write's wait for its turn does not count against its deadline.
            ...(clientOptions.additionalPolicies ?? []),
          ],
        });
      // Version writes are not idempotent: their client never retries on its own (VaultGateway does, after reading).
      const writer = client(withoutRetries(clientOptions).retryOptions);
      return [vault.name, new VaultGateway(vault, client(clientOptions.retryOptions), { writer })];
    }),
  );
}

export interface CreateOptions {
  logger?: Logger;
  /** Replaces the audit sink chosen from the settings (tests wrap the real one). */
  sink?: (configured: AuditSink) => AuditSink;
  checkpoint?: EngineDeps["checkpoint"];
  /** The app's identity when the caller has made it already (one credential, one token cache). */
  credential?: TokenCredential;
  now?: () => Date;
}

/** Builds the engine and what it needs from validated settings: the one composition root of src/. */
export async function createRotatorApp(config: AppConfig, options: CreateOptions = {}): Promise<RotatorApp> {
  const logger = options.logger ?? consoleLogger;
  if (!config.storage) {
    throw new ConfigurationError([
      "AzureWebJobsStorage is required to rotate: leases and the audit outbox live there",
    ]);
  }
  const credential = options.credential ?? (await createCredential(config));
  const throttle = new ThrottleSignal();
  const vaults = createVaultGateways(config, credential, throttle);
  const container = await openAppContainer({ ...config, storage: config.storage }, credential);
  const configured = config.audit ? eventGridSink(config.audit, credential, config) : logSink(logger);
  const audit = new AuditTrail(container, options.sink ? options.sink(configured) : configured, logger);
  const openRotations = new OpenRotations(container);
  const consumerLedger = new ConsumerLedger(container);
  const engine = new RotationEngine({
    openRotations,
    vaults,
    leases: new LeaseManager(container, config.leaseSeconds),
    audit,
    credential,
    azure: {
      armEndpoint: config.armEndpoint,
      graphEndpoint: config.graphEndpoint,
      authorityHost: config.authorityHost,
      clientOptions: sdkClientOptions(config),
    },
    logger,
    settings: config,
    ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
    ...(options.now ? { now: options.now } : {}),
    consumerLedger,
  });
  return { config, engine, audit, vaults, container, credential, throttle, openRotations, consumerLedger };
}
