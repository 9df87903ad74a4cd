import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SecretClient } from "@azure/keyvault-secrets";
import { SimulatedCrash } from "../../src/errors.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import type { OpenRotations } from "../../src/rotation/openRotations.js";
import { resumeOpenRotations } from "../../src/rotation/resumeOpenRotations.js";
import { ROTATION_STEPS, type RotationRequest } from "../../src/rotation/rotationEngine.js";
import { pendingRecordName } from "../../src/vault/pendingRecord.js";
import { startTargetFixtures, type TargetFixtures } from "../helpers/targetFixtures.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";
import {
  postgresScenarios,
  randomScenario,
  entraScenario,
  keyScenario,
  sqlAdminScenario,
  sqlScenarios,
  type ArrangedSecret,
  type Scenario,
} from "./rotationScenarios.js";

let stack: RotationStack;
let targets: TargetFixtures;
beforeAll(async () => {
  [stack, targets] = await Promise.all([startRotationStack(), startTargetFixtures()]);
});
afterAll(async () => {
  await Promise.all([stack?.stop(), targets?.stop()]);
});

/**
 * Where a run dies: before each step; inside a step, after one of its writes landed and before the next
 * (`stage:indexed`, `verify:done` before an issued credential's verify is recorded, `close-pending:disabled`);
 * in the middle of the audit delivery.
 */
const CRASH_POINTS = [
  ...ROTATION_STEPS,
  "stage:indexed",
  "verify:done",
  "close-pending:disabled",
  "mid-delivery",
] as const;
/** Steps before which a run has written nothing (preflight only reads and authenticates). */
const NOTHING_WRITTEN = new Set<string>(["lease", "read", "plan", "preflight"]);
type CrashPoint = (typeof CRASH_POINTS)[number] | "revert" | "revert:done";
/** Single credential: between apply and commit the target takes only the new value (the allowed window). */
const SINGLE_WINDOW = new Set<string>(["verify", "commit", "revert"]);

/** The enabled pending record's value, if a rotation is under way. Only "not found" or "disabled" mean none. */
async function pendingValue(
  kv: SecretClient,
  secret: string,
): Promise<{ value: string; credentialId: string } | undefined> {
  try {
    const p = await kv.getSecret(pendingRecordName(secret));
    return p.properties.enabled
      ? { value: p.value as string, credentialId: p.properties.tags?.CredentialId as string }
      : undefined;
  } catch (error) {
    const e = error as { statusCode?: number; details?: unknown };
    if (e.statusCode === 404) return undefined;
    if (e.statusCode === 403 && JSON.stringify(e.details ?? "").includes("SecretDisabled")) return undefined;
    throw error;
  }
}

async function versionCount(kv: SecretClient, secret: string): Promise<number> {
  let n = 0;
  for await (const _ of kv.listPropertiesOfSecretVersions(secret)) n += 1;
  return n;
}

/**
 * DESIGN.md's invariants at a moment a run died: the latest version or the pending record holds a value the
 * target accepts (no lost credential); the latest version works (no lockout), except for a single credential
 * in the window between apply and commit.
 */
async function assertInvariants(kv: SecretClient, arranged: ArrangedSecret, point: string): Promise<void> {
  const latest = await kv.getSecret(arranged.secret);
  const latestWorks = await arranged.accepts(
    latest.value as string,
    latest.properties.tags?.CredentialId ?? "",
  );
  const pending = await pendingValue(kv, arranged.secret);
  const pendingWorks = pending ? await arranged.accepts(pending.value, pending.credentialId) : false;
  expect(latestWorks || pendingWorks, "no lost credential").toBe(true);
  if (arranged.dual || !SINGLE_WINDOW.has(point)) expect(latestWorks, "no lockout").toBe(true);
}

const scenarios = (): Scenario[] => [
  ...postgresScenarios(targets.pg),
  ...sqlScenarios(targets.sql),
  sqlAdminScenario(targets.arm, targets.sql),
  keyScenario(targets.arm, "storage"),
  keyScenario(targets.arm, "cosmos"),
  keyScenario(targets.arm, "redis"),
  entraScenario(targets.graph),
  randomScenario,
];
const SCENARIOS = [
  "postgres single",
  "postgres dual",
  "sql-login single",
  "sql-login dual",
  "sql-admin",
  "storage-key",
  "cosmos-key",
  "redis-key",
  "entra-app-secret",
  "random",
];
let counter = 0;

async function arrange(scenarioName: string): Promise<{ scenario: Scenario; arranged: ArrangedSecret }> {
  const scenario = scenarios().find((s) => s.name === scenarioName) as Scenario;
  const id = `c${process.pid % 1000}x${(counter += 1)}`;
  return { scenario, arranged: await scenario.arrange(stack.kv, id) };
}

/** One healthy app per scenario (apps hold no state of a run): the runs after a crash. */
const healthyApps = new Map<string, Promise<RotatorApp>>();
function healthyApp(scenario: Scenario): Promise<RotatorApp> {
  let app = healthyApps.get(scenario.name);
  if (!app) healthyApps.set(scenario.name, (app = stack.app({ env: scenario.env ?? {} })));
  return app;
}

/** An app that dies at `point` (only for this secret's rotation). */
function crashingApp(scenario: Scenario, secret: string, point: CrashPoint): Promise<RotatorApp> {
  return stack.app({
    env: scenario.env ?? {},
    checkpoint: (step, request) => {
      if (step === point && request.secret === secret) throw new SimulatedCrash(step);
    },
    sink: (real) => ({
      name: "crash-after-send",
      send: async (events) => {
        await real.send(events);
        if (point === "mid-delivery" && events.some((e) => e.data.secret === secret))
          throw new SimulatedCrash("mid-delivery");
      },
    }),
  });
}

/** After a crash the dead run's lease stays held: another run is busy until it expires (here: is broken). */
async function afterCrash(
  arranged: ArrangedSecret,
  request: RotationRequest,
  point: CrashPoint,
  scenario: Scenario,
): Promise<void> {
  await assertInvariants(stack.kv, arranged, point);
  if (point !== "lease") {
    const other = await healthyApp(scenario);
    expect((await other.engine.rotate(request)).status, "busy while the dead run's lease lasts").toBe("busy");
  }
  stack.vault.emulator.faults.clear(arranged.secret);
  await (
    await healthyApp(scenario)
  ).container
    .getBlobClient(LeaseManager.blobName("rotation", arranged.secret))
    .getBlobLeaseClient()
    .breakLease(0)
    .catch(() => undefined);
}

/** The resume timer's view of the index, limited to one secret: tests run side by side on one stack. */
function onlyFor(open: OpenRotations, secret: string): OpenRotations {
  const scoped = Object.create(open) as OpenRotations;
  scoped.list = async () => (await open.list()).filter((e) => e.secret === secret.toLowerCase());
  return scoped;
}

/**
 * The next healthy runs converge: first the resume timer (once the dead run's lease is gone), which must end a
 * single credential's lockout window by itself; then the event's redelivery. One new version that works, no
 * pending record, no index entry, one SecretRotated id, and no credential a provider issued that no version holds.
 */
async function assertConverges(
  arranged: ArrangedSecret,
  request: RotationRequest,
  scenario: Scenario,
): Promise<void> {
  const healthy = await healthyApp(scenario);
  const open = onlyFor(healthy.openRotations, arranged.secret);
  const staged = (await pendingValue(stack.kv, arranged.secret)) !== undefined;
  const timer = await resumeOpenRotations(healthy.engine, open);
  expect(timer.failed, JSON.stringify(timer)).toBe(0);
  if (staged) {
    // The bound of the single-credential window: the timer's first run after the lease is free closes it.
    expect(timer.resumed, "the resume timer finishes a staged rotation").toBe(1);
    await assertInvariants(stack.kv, arranged, "done");
  }
  const outcome = await healthy.engine.rotate(request);
  expect(["rotated", "skipped"], JSON.stringify(outcome)).toContain(outcome.status);
  await assertInvariants(stack.kv, arranged, "done");

  const latest = await stack.kv.getSecret(arranged.secret);
  expect(latest.properties.version).not.toBe(arranged.version);
  expect(await arranged.accepts(latest.value as string, latest.properties.tags?.CredentialId as string)).toBe(
    true,
  );
  expect(await versionCount(stack.kv, arranged.secret)).toBe(2);
  expect(await pendingValue(stack.kv, arranged.secret)).toBeUndefined();
  // A run that died after closing the pending record leaves its index entry: the resume timer drops it.
  await resumeOpenRotations(healthy.engine, open);
  expect(await open.list()).toEqual([]);
  const rotationId = latest.properties.tags?.RotationId as string;
  if (arranged.issued) expect(await arranged.issued(), "no orphaned credential").toEqual([rotationId]);

  const rotatedEvents = stack.topic.events.filter(
    (e) =>
      e.type === "AkvRotator.SecretRotated" && (e.data as { secret?: string }).secret === arranged.secret,
  );
  // One event id. Deliveries are at least once: runs of other secrets redeliver the shared outbox side by side.
  expect(new Set(rotatedEvents.map((e) => e.id))).toEqual(new Set([rotationId]));
}

const requestFor = (arranged: ArrangedSecret): RotationRequest => ({
  vault: "rotation",
  secret: arranged.secret,
  trigger: "event",
  expectedVersion: arranged.version,
});

describe.concurrent.each(SCENARIOS)("crash matrix: %s", (scenarioName) => {
  // Only issued credentials record their verify.
  const issued = ["storage-key", "cosmos-key", "redis-key", "entra-app-secret"].includes(scenarioName);
  // Before anything is written (lease, read, plan, preflight) a crash is the same for every rotator: tried on two.
  const early = ["postgres single", "random"].includes(scenarioName);
  const points = CRASH_POINTS.filter(
    (p) => (p !== "verify:done" || issued) && (early || !NOTHING_WRITTEN.has(p)),
  );
  it.each(points)(
    "a crash at %s converges on the next runs, with no lockout and one SecretRotated id",
    async (point) => {
      const { scenario, arranged } = await arrange(scenarioName);
      const request = requestFor(arranged);
      const crashing = await crashingApp(scenario, arranged.secret, point);
      await expect(crashing.engine.rotate(request)).rejects.toBeInstanceOf(SimulatedCrash);
      await afterCrash(arranged, request, point, scenario);
      await assertConverges(arranged, request, scenario);
    },
  );

  it.each([
    ["apply", "commit"],
    ["commit", "close-pending"],
  ] as const)(
    "a crash at %s, then at %s while resuming, converges on the third run",
    async (first, second) => {
      const { scenario, arranged } = await arrange(scenarioName);
      const request = requestFor(arranged);
      await expect(
        (await crashingApp(scenario, arranged.secret, first)).engine.rotate(request),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      await afterCrash(arranged, request, first, scenario);
      await expect(
        (await crashingApp(scenario, arranged.secret, second)).engine.rotate(request),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      await afterCrash(arranged, request, second, scenario);
      await assertConverges(arranged, request, scenario);
    },
  );
});

describe.concurrent.each(["postgres single", "sql-login single", "sql-admin"])(
  "crash matrix, failed commit: %s",
  (scenarioName) => {
    it.each(["revert", "revert:done"] as const)(
      "Key Vault refuses the commit, the run dies at %s (putting the old value back), and the next run converges",
      async (point) => {
        const { scenario, arranged } = await arrange(scenarioName);
        const request = requestFor(arranged);
        stack.vault.emulator.faults.inject({
          operation: "setSecret",
          secretName: arranged.secret,
          status: 503,
          count: 20,
        });
        await expect(
          (await crashingApp(scenario, arranged.secret, point)).engine.rotate(request),
        ).rejects.toBeInstanceOf(SimulatedCrash);
        await afterCrash(arranged, request, point, scenario);
        await assertConverges(arranged, request, scenario);
      },
    );
  },
);
