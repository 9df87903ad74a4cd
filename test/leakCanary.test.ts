import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { metrics, trace } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import type { HttpResponseInit } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { complianceReport } from "../functions/complianceReport.js";
import { complianceSweep } from "../functions/complianceSweep.js";
import { rotateSecret } from "../functions/rotateSecret.js";
import { secretNearExpiry } from "../functions/secretNearExpiry.js";
import { runCli } from "../src/cli/main.js";
import type { RotationOutcome } from "../src/rotation/rotationOutcome.js";
import { scramSha256Verifier } from "../src/rotators/scramVerifier.js";
import { invocation, rotateRequest, useSettings } from "./helpers/functionsHarness.js";
import { leakForms, LeakDetector } from "./helpers/leakDetector.js";
import { rotateEveryRotator, TOUR_EXPECTED, vaultValues } from "./helpers/rotationTour.js";
import { startRotationStack, type RotationStack } from "./helpers/rotationStack.js";
import { startTargetFixtures, type TargetFixtures } from "./helpers/targetFixtures.js";

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });

/** Everything written to the console (the functions log through it) or straight to stdout/stderr. */
const consoleText: string[] = [];
const originals = {
  log: console.log,
  info: console.info,
  warn: console.warn,
  error: console.error,
  stdout: process.stdout.write.bind(process.stdout),
  stderr: process.stderr.write.bind(process.stderr),
};
function captureConsole(): void {
  for (const level of ["log", "info", "warn", "error"] as const)
    console[level] = (...args: unknown[]) => consoleText.push(args.map(String).join(" "));
  for (const stream of ["stdout", "stderr"] as const)
    process[stream].write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      consoleText.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return originals[stream](chunk, ...rest);
    }) as typeof process.stdout.write;
}
function releaseConsole(): void {
  Object.assign(console, {
    log: originals.log,
    info: originals.info,
    warn: originals.warn,
    error: originals.error,
  });
  process.stdout.write = originals.stdout;
  process.stderr.write = originals.stderr;
}

let stack: RotationStack;
let targets: TargetFixtures;
let dir: string;
beforeAll(async () => {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  [stack, targets, dir] = await Promise.all([
    startRotationStack({ vaultName: "leaks" }),
    startTargetFixtures(),
    mkdtemp(path.join(os.tmpdir(), "akv-canary-")),
  ]);
});
afterAll(async () => {
  releaseConsole();
  await Promise.all([
    stack?.stop(),
    targets?.stop(),
    dir ? rm(dir, { recursive: true, force: true }) : undefined,
  ]);
});

/** An HTTP answer as the caller reads it: status, headers and the body as text (a Buffer body too). */
function answerText(answer: HttpResponseInit): string {
  const body = answer.body;
  const text =
    typeof body === "string"
      ? body
      : body instanceof Uint8Array
        ? Buffer.from(body).toString("utf8")
        : JSON.stringify(body ?? answer.jsonBody ?? "");
  return `${answer.status ?? 200} ${JSON.stringify(answer.headers ?? {})}\n${text}`;
}

/** The channels a secret could reach, each as one text. */
type Channels = Record<string, string>;

async function blobs(prefix: string): Promise<string> {
  const app = await stack.app();
  const texts: string[] = [];
  for await (const blob of app.container.listBlobsFlat({ prefix }))
    texts.push((await app.container.getBlobClient(blob.name).downloadToBuffer()).toString("utf8"));
  return texts.join("\n");
}

/**
 * Runs every rotator's rotation (failures included) through the engine, the functions (HTTP, Event Grid,
 * timer, report) and the CLI, and collects every channel they wrote to.
 */
async function runEverything(): Promise<{ channels: Channels; outcomes: RotationOutcome[] }> {
  const env = { ...stack.env, ...targets.env };
  captureConsole();
  try {
    const app = await stack.app({ env: targets.env });
    let outbox = "";
    const outcomes = await rotateEveryRotator(stack, targets, app, "leaks", async () => {
      outbox = await blobs("outbox/");
    });
    expect(outcomes.map((o) => `${o.secret}:${o.status}`)).toEqual(TOUR_EXPECTED);

    // The functions, as the host calls them: context logs and HTTP answers.
    useSettings(env);
    const contextLogs: string[] = [];
    const answers: string[] = [];
    const call = async <T>(
      name: string,
      run: (c: ReturnType<typeof invocation>) => Promise<T>,
    ): Promise<T> => {
      const captured = invocation(name);
      try {
        return await run(captured);
      } finally {
        contextLogs.push(...captured.logs.map((l) => `${l.level} ${l.text}`));
      }
    };
    await targets.pg.createRole("canary_fn", "CANARY-fn-pg-1");
    await stack.kv.setSecret("fn-pg", "CANARY-fn-pg-1", {
      tags: { RotatorType: "postgres", ProviderAddress: targets.pg.address, CredentialId: "canary_fn" },
    });
    await stack.kv.setSecret("fn-random", "CANARY-fn-random-1", { tags: { RotatorType: "random" } });
    await stack.kv.setSecret("fn-broken", "CANARY-fn-broken-1", {
      tags: { RotatorType: "postgres", ProviderAddress: targets.pg.address, CredentialId: "canary_fn" },
    });
    for (const [secret, body] of [
      ["fn-pg", { force: true }],
      ["fn-random", { force: true }],
      ["fn-random", { dryRun: true }],
      ["fn-broken", { force: true }],
    ] as const) {
      const answer = await call("rotateSecret", (c) =>
        rotateSecret(rotateRequest(secret, { body }), c.context),
      );
      answers.push(answerText(answer));
    }
    const event = await stack.kv.setSecret("fn-event", "CANARY-fn-event-1", {
      tags: { RotatorType: "random" },
    });
    await call("secretNearExpiry", (c) =>
      secretNearExpiry(
        {
          id: "e1",
          eventType: "Microsoft.KeyVault.SecretNearExpiry",
          subject: "fn-event",
          eventTime: new Date().toISOString(),
          dataVersion: "1",
          data: {
            Id: event.properties.id,
            VaultName: "leaks",
            ObjectType: "Secret",
            ObjectName: "fn-event",
            Version: event.properties.version,
          },
        },
        c.context,
      ).catch((error: unknown) => contextLogs.push(String(error))),
    );
    await call("complianceSweep", (c) => complianceSweep({ isPastDue: false } as never, c.context));
    for (const format of ["json", "html"]) {
      const answer = await call("complianceReport", (c) =>
        complianceReport(rotateRequest("x", { query: { format } }) as never, c.context),
      );
      answers.push(answerText(answer));
    }

    // The CLI: each command's output, and a report file it writes.
    const cliOut: string[] = [];
    const reportFile = path.join(dir, "report.html");
    await stack.kv.setSecret("cli-random", "CANARY-cli-1", { tags: { RotatorType: "random" } });
    for (const args of [
      ["rotate", "leaks", "cli-random", "--force"],
      ["rotate", "leaks", "fn-broken", "--force", "--json"],
      ["status", "leaks", "cli-random", "--json"],
      ["validate", "leaks"],
      ["sweep", "leaks", "--json", "--report", reportFile],
    ])
      await runCli(args, {
        out: (l) => cliOut.push(l),
        err: (l) => cliOut.push(l),
        isTTY: false,
        env: env as NodeJS.ProcessEnv,
        cwd: dir,
      });
    cliOut.push(await readFile(reportFile, "utf8"));

    await reader.forceFlush();
    const finished = spans.getFinishedSpans();
    const channels: Channels = {
      "logger lines": stack.logger.lines.join("\n"),
      "function context logs": contextLogs.join("\n"),
      "console output": consoleText.join("\n"),
      outcomes: JSON.stringify(outcomes),
      "HTTP answers": answers.join("\n"),
      "topic events": JSON.stringify(stack.topic.events),
      "outbox blobs": outbox + (await blobs("outbox/")),
      "stored reports": await blobs("reports/"),
      "CLI output": cliOut.join("\n"),
      "telemetry spans": JSON.stringify(
        finished.map((s) => ({ name: s.name, a: s.attributes, st: s.status })),
      ),
      "span events": JSON.stringify(finished.map((s) => s.events)),
      "metric attributes": JSON.stringify(metricExporter.getMetrics()),
    };
    return { channels, outcomes };
  } finally {
    releaseConsole();
  }
}

/** Every value the vault holds or held, and every SCRAM verifier PostgreSQL holds for our roles. */
async function detectorFor(): Promise<LeakDetector> {
  const detector = new LeakDetector();
  for (const value of vaultValues(stack)) detector.addValue(value);
  const verifiers = await targets.pg.sql("SELECT rolpassword FROM pg_authid WHERE rolpassword IS NOT NULL");
  for (const row of verifiers.rows as { rolpassword: string }[]) detector.addVerifier(row.rolpassword);
  return detector;
}

let clean: Channels | undefined;

/**
 * The leak canary: rotations of every rotator that succeed and fail in every way we can provoke, through the
 * engine, the functions and the CLI; then every channel they wrote to is scanned for every value the vault
 * holds or held, in every encoding, its hashes, and any SCRAM verifier.
 */
describe("no secret value leaves Key Vault", () => {
  it("appears on no channel, in no form", async () => {
    const { channels } = await runEverything();
    clean = channels;
    for (const [name, text] of Object.entries(channels))
      expect(text.length, `${name} captured nothing`).toBeGreaterThan(0);
    expect(channels["console output"]).toMatch(/rotation (rotated|failed)/);
    expect(channels["stored reports"]).toContain("fn-random");
    expect(channels["HTTP answers"]).toContain('"status":"rotated"');
    expect(channels["HTTP answers"]).toContain("<html");
    expect(channels["function context logs"]).toMatch(/fn-event: rotated|fn-event -> version/);
    expect(channels["CLI output"]).toContain("cli-random");
    expect(channels["span events"]).toContain("exception");
    const detector = await detectorFor();
    expect(detector.valueCount).toBeGreaterThan(40);
    expect(detector.scan(channels)).toEqual([]);
    for (const [name, text] of Object.entries(channels)) expect(text, name).not.toContain("CANARY");
  });

  it("catches a planted leak in every form, on every channel", async () => {
    expect(clean).toBeDefined();
    const channels = clean as Channels;
    // A quote and a non-ASCII letter, so that every form differs from the raw value.
    const value = 'CANARY-planted-Zq8!x/+é"q';
    const detector = await detectorFor();
    detector.addValue(value);
    const plants: [string, string][] = [
      ["raw", `reason=${value}`],
      ["json-escaped", JSON.stringify({ error: `bad "${value}"` })],
      ["url-encoded", `https://h/x?code=${encodeURIComponent(value)}`],
      ["base64", Buffer.from(`user:${value}`).toString("base64")],
      ["base64url", Buffer.from(`ab${value}`).toString("base64url")],
      ["hex", Buffer.from(`k=${value}`).toString("hex")],
      ["sha256 hex", (await import("node:crypto")).createHash("sha256").update(value).digest("hex")],
      ["scram verifier", scramSha256Verifier(value)],
    ];
    expect(
      plants
        .map(([form]) => form)
        .every((form) => form === "scram verifier" || leakForms(value).some((f) => f.form === form)),
    ).toBe(true);
    for (const channel of Object.keys(channels)) {
      for (const [form, planted] of plants) {
        const leaks = detector.scan({ ...channels, [channel]: `${channels[channel]}\n${planted}\n` });
        expect(
          leaks.some((l) => l.channel === channel && l.form === form),
          `${form} on ${channel}: ${JSON.stringify(leaks)}`,
        ).toBe(true);
        expect(leaks.every((l) => l.channel === channel)).toBe(true);
      }
    }
  });
});
