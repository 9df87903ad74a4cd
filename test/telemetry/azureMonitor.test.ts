import diagnostics from "node:diagnostics_channel";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shutdownAzureMonitor } from "@azure/monitor-opentelemetry";
import { loadConfig } from "../../src/config.js";
import { createRotatorApp } from "../../src/rotation/createEngine.js";
import { startAzureMonitor } from "../../src/telemetry/azureMonitor.js";
import { telemetryLogger } from "../../src/telemetry/telemetryLogger.js";
import { sdkClientOptions } from "../../src/vault/clientOptions.js";
import { EmulatorCredential } from "../../src/vault/emulatorCredential.js";
import { startIngestionRecorder, type Envelope } from "../helpers/ingestionRecorder.js";
import { LeakDetector } from "../helpers/leakDetector.js";
import { rotateEveryRotator, TOUR_EXPECTED, vaultValues } from "../helpers/rotationTour.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";
import { startTargetFixtures, type TargetFixtures } from "../helpers/targetFixtures.js";

/** Every address this process tried to reach that is not loopback (the distro's IMDS probe, statsbeat...). */
const farAway: string[] = [];
const record = (address: string | undefined): void => {
  if (address && !/^(127\.|::1$|::ffff:127\.|localhost$)/.test(address)) farAway.push(address);
};
const onSocket = (message: unknown): void => {
  const socket = (message as { socket: Socket }).socket;
  socket.once("connectionAttempt", (ip: string) => record(ip));
  socket.once("connect", () => record(socket.remoteAddress));
};
const onRequest = (message: unknown): void => record((message as { request: { host: string } }).request.host);
diagnostics.subscribe("net.client.socket", onSocket);
diagnostics.subscribe("http.client.request.start", onRequest);

let stack: RotationStack;
let targets: TargetFixtures;
let ingestion: Awaited<ReturnType<typeof startIngestionRecorder>>;
beforeAll(async () => {
  [stack, targets, ingestion] = await Promise.all([
    startRotationStack({ vaultName: "otel" }),
    startTargetFixtures(),
    startIngestionRecorder(),
  ]);
});
afterAll(async () => {
  diagnostics.unsubscribe("net.client.socket", onSocket);
  diagnostics.unsubscribe("http.client.request.start", onRequest);
  await Promise.all([stack?.stop(), targets?.stop(), ingestion?.stop()]);
});

const baseType = (e: Envelope): string => e.data?.baseType ?? "";
const data = (e: Envelope): Record<string, unknown> => e.data?.baseData ?? {};
const props = (e: Envelope): Record<string, string> => (data(e).properties as Record<string, string>) ?? {};

/**
 * The real distro (`@azure/monitor-opentelemetry`, started as the functions start it) exporting to a loopback
 * ingestion endpoint, through rotations of every rotator, failures included: the product's spans, the Azure
 * SDK's dependencies, exceptions and logs arrive; no statement, query string, value, verifier or hash does,
 * and nothing leaves loopback.
 */
describe("telemetry through Azure Monitor", () => {
  it("exports rotation spans, Azure SDK dependencies, exceptions and logs, and no secret", async () => {
    const env = { ...stack.env, ...targets.env };
    const config = loadConfig(env);
    const started = await startAzureMonitor(
      {
        APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=${ingestion.url}/`,
      },
      new EmulatorCredential(),
      sdkClientOptions(config),
    );
    expect(started).toBe(true);
    // A worker loads pg only when the first rotation needs it, after the distro started: require it now, as
    // that would, so the distro's pg instrumentation (if it were on) patches the client the rotator uses.
    createRequire(import.meta.url)("pg");
    const app = await createRotatorApp(config, { logger: telemetryLogger(stack.logger) });
    const outcomes = await rotateEveryRotator(stack, targets, app, "otel");
    expect(outcomes.map((o) => `${o.secret}:${o.status}`)).toEqual(TOUR_EXPECTED);
    await shutdownAzureMonitor();

    const all = ingestion.envelopes;
    const roots = all.filter((e) => baseType(e) === "RemoteDependencyData" && data(e).name === "rotation");
    expect(roots.length).toBe(TOUR_EXPECTED.length);
    const rotated = roots.find((e) => props(e)["akv.secret"] === "tour-pg");
    expect(props(rotated as Envelope)).toMatchObject({ "akv.outcome": "rotated", "akv.rotator": "postgres" });
    const operation = rotated?.tags?.["ai.operation.id"];
    const inRotation = all.filter((e) => e.tags?.["ai.operation.id"] === operation);
    const stepNames = inRotation.map((e) => String(data(e).name)).filter((n) => n.startsWith("rotation."));
    expect(stepNames.sort()).toEqual(
      [
        "lease",
        "catch-up-consumers",
        "read",
        "plan",
        "authorize",
        "plan-consumers",
        "preflight",
        "issue",
        "stage",
        "apply",
        "verify",
        "commit",
        "tell-consumers",
        "audit-keep",
        "close-pending",
        "audit-deliver",
      ]
        .map((s) => `rotation.${s}`)
        .sort(),
    );
    // Azure SDK calls (Key Vault, blob lease, Event Grid) and their HTTP requests, in the rotation's trace.
    const dependencies = inRotation.filter((e) => baseType(e) === "RemoteDependencyData");
    expect(dependencies.some((e) => String(data(e).name).startsWith("SecretClient."))).toBe(true);
    const http = dependencies.filter((e) => data(e).type === "Http");
    expect(http.some((e) => String(data(e).name).startsWith("PUT /secrets/tour-pg--pending"))).toBe(true);
    for (const e of all) {
      const url = String(data(e).data ?? data(e).url ?? "");
      expect(url, "a URL with its query string was exported").not.toMatch(/\?/);
    }
    // Failures are exported as exceptions, log lines as traces.
    expect(all.some((e) => baseType(e) === "ExceptionData")).toBe(true);
    expect(
      all.some((e) => baseType(e) === "MessageData" && String(data(e).message).startsWith("rotation ")),
    ).toBe(true);
    expect(all.some((e) => baseType(e) === "MetricData")).toBe(true);

    const exported = ingestion.raw.join("\n");
    expect(exported).not.toMatch(/ALTER ROLE|db\.statement|db\.query\.text/);
    const detector = new LeakDetector();
    for (const value of vaultValues(stack)) detector.addValue(value);
    expect(detector.valueCount).toBeGreaterThan(25);
    expect(detector.scan({ telemetry: exported })).toEqual([]);
    expect(exported).not.toContain("CANARY");
    expect(farAway).toEqual([]);
  });
});
