import type { TokenCredential } from "@azure/core-auth";
import { SecretClient } from "@azure/keyvault-secrets";
import type { ContainerClient } from "@azure/storage-blob";
import { eventGridSink, logSink, type AuditSink } from "../audit/auditSink.js";
import { AuditTrail } from "../audit/auditTrail.js";
import type { AppConfig } from "../config.js";
import { consoleLogger, type Logger } from "../logging/logger.js";
import { openAppContainer } from "../storage/appContainer.js";
import { sdkClientOptions } from "../vault/clientOptions.js";
import { createCredential } from "../vault/createCredential.js";
import { VaultGateway } from "../vault/vaultGateway.js";
import { LeaseManager } from "./blobLease.js";
import { RotationEngine, type EngineDeps } from "./rotationEngine.js";

export interface RotatorApp {
  config: AppConfig;
  engine: RotationEngine;
  audit: AuditTrail;
  vaults: ReadonlyMap<string, VaultGateway>;
  container: ContainerClient;
  credential: TokenCredential;
}

export interface CreateOptions {
  logger?: Logger;
  /** Replaces the audit sink chosen from the settings (tests wrap the real one). */
  sink?: (configured: AuditSink) => AuditSink;
  checkpoint?: EngineDeps["checkpoint"];
  now?: () => Date;
}

/** Builds the engine and what it needs from validated settings: the one composition root of src/. */
export async function createRotatorApp(config: AppConfig, options: CreateOptions = {}): Promise<RotatorApp> {
  const logger = options.logger ?? consoleLogger;
  const credential = await createCredential(config);
  const clientOptions = sdkClientOptions(config);
  const vaults = new Map(
    config.vaults.map((v) => [
      v.name,
      new VaultGateway(
        v,
        new SecretClient(v.url, credential, {
          ...clientOptions,
          disableChallengeResourceVerification: config.credential === "emulator",
        }),
      ),
    ]),
  );
  const container = await openAppContainer(config, credential);
  const configured = config.audit ? eventGridSink(config.audit, credential, config) : logSink(logger);
  const audit = new AuditTrail(container, options.sink ? options.sink(configured) : configured, logger);
  const engine = new RotationEngine({
    vaults,
    leases: new LeaseManager(container, config.leaseSeconds),
    audit,
    credential,
    logger,
    settings: config,
    ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return { config, engine, audit, vaults, container, credential };
}
