import type { TokenCredential } from "@azure/core-auth";
import type { SdkClientOptions } from "../vault/clientOptions.js";

let started = false;

/**
 * With APPLICATIONINSIGHTS_CONNECTION_STRING set, sends the app's traces, metrics and logs to Application
 * Insights through `@azure/monitor-opentelemetry`, authenticating with the app's identity. Loaded only then:
 * it is large, and cold starts without it stay fast.
 *
 * What it may export is narrowed here, because a rotation hands secrets to databases and HTTP APIs:
 * - no database instrumentation (pg's spans carry `ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'`), and
 *   statement attributes are dropped by the scrubber whatever produced them;
 * - the Azure SDK's own spans (its calls and their HTTP requests) through its OpenTelemetry plugin, set
 *   directly on `@azure/core-tracing`: module patching does not reach ES modules or the bundle, whatever the
 *   load order. Node's HTTP instrumentation is off: every outgoing HTTP call of the app goes through an
 *   Azure SDK pipeline, which traces it once, and patching `node:http` does not work on ES modules anyway;
 * - every span, span event and log record passes the scrubber (secretScrubber.ts) before the exporter;
 * - no traffic beyond the ingestion endpoint outside Azure: no instance-metadata probe (the VM detector;
 *   the app runs on Functions, whose detectors read the environment), no live metrics, no statsbeat.
 *   The distro is held at ~1.19 (exporter 1.0.0-beta.44): from 1.20 its exporter polls
 *   settings.sdk.monitor.azure.com (OneSettings) from every process, with no setting to turn it off;
 *   test/telemetry/azureMonitor.test.ts fails on any host beyond loopback.
 */
export async function startAzureMonitor(
  env: NodeJS.ProcessEnv,
  credential: TokenCredential,
  clientOptions: Pick<SdkClientOptions, "tlsOptions"> = {},
): Promise<boolean> {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString || started) return started;
  const inAzure = Boolean(env.WEBSITE_INSTANCE_ID);
  if (!inAzure) {
    // Statsbeat reports to Microsoft's own endpoints, not the connection string's.
    process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED = "true";
    process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = "true";
  }
  const [{ useAzureMonitor }, { azureVmDetector }, coreTracing, azureSdk, scrubber] = await Promise.all([
    import("@azure/monitor-opentelemetry"),
    import("@opentelemetry/resource-detector-azure"),
    import("@azure/core-tracing"),
    import("@azure/opentelemetry-instrumentation-azure-sdk"),
    import("./secretScrubber.js"),
  ]);
  // The distro runs this detector unconditionally; it probes 169.254.169.254 from the app's process. Our
  // dependency's version must be the distro's (one module instance, so this reaches the distro's detector);
  // test/telemetry/azureMonitor.test.ts fails on any probe.
  azureVmDetector.detect = () => ({ attributes: {} });
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString, credential, ...clientOptions },
    enableLiveMetrics: inAzure,
    // Every rotation traced (a ratio of 1 instead of the default 5 traces a second): rotations are few,
    // and a sampled-out rotation is one nobody can follow.
    tracesPerSecond: 0,
    samplingRatio: 1,
    instrumentationOptions: {
      http: { enabled: false },
      azureSdk: { enabled: true },
      mongoDb: { enabled: false },
      mySql: { enabled: false },
      postgreSql: { enabled: false },
      redis: { enabled: false },
      redis4: { enabled: false },
    },
    spanProcessors: [new scrubber.ScrubbingSpanProcessor()],
    logRecordProcessors: [new scrubber.ScrubbingLogRecordProcessor()],
  });
  for (const definition of new azureSdk.AzureSdkInstrumentation({ enabled: false }).getModuleDefinitions())
    definition.patch?.(coreTracing);
  started = true;
  return true;
}
