import { loadConfig } from "./config.js";
import { consoleLogger } from "./logging/logger.js";
import { createRotatorApp, type RotatorApp } from "./rotation/createEngine.js";
import { startAzureMonitor } from "./telemetry/azureMonitor.js";
import { telemetryLogger } from "./telemetry/telemetryLogger.js";
import { sdkClientOptions } from "./vault/clientOptions.js";
import { createCredential } from "./vault/createCredential.js";

let current: Promise<RotatorApp> | undefined;

/**
 * The app the functions share in one process: settings read once from the environment, clients created
 * once. A failure (bad settings) is not cached, so fixing the settings and retrying works.
 */
export function rotatorApp(): Promise<RotatorApp> {
  if (!current) {
    current = Promise.resolve()
      .then(async () => {
        const config = loadConfig(process.env);
        const credential = await createCredential(config);
        await startAzureMonitor(process.env, credential, sdkClientOptions(config));
        return createRotatorApp(config, { logger: telemetryLogger(consoleLogger), credential });
      })
      .catch((error: unknown) => {
        current = undefined;
        throw error;
      });
  }
  return current;
}

/** Forgets the shared app, so the next call reads the settings again (the local host after a settings change; tests). */
export function resetRotatorApp(): void {
  current = undefined;
}
