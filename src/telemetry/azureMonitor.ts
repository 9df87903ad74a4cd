import type { TokenCredential } from "@azure/core-auth";

let started = false;

/**
 * With APPLICATIONINSIGHTS_CONNECTION_STRING set, sends the app's traces, metrics and logs to Application
 * Insights through `@azure/monitor-opentelemetry`, authenticating with the app's identity. Loaded only then:
 * it is large, and cold starts without it stay fast.
 */
export async function startAzureMonitor(
  env: NodeJS.ProcessEnv,
  credential: TokenCredential,
): Promise<boolean> {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString || started) return started;
  const { useAzureMonitor } = await import("@azure/monitor-opentelemetry");
  useAzureMonitor({ azureMonitorExporterOptions: { connectionString, credential } });
  started = true;
  return true;
}
