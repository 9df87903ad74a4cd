import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import type { SiteResource } from "../../local/arm/armSites.js";
import { SimulatedCrash } from "../../src/errors.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import { ConsumerLedger } from "../../src/rotation/consumerLedger.js";
import { resumeOpenRotations } from "../../src/rotation/resumeOpenRotations.js";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import type { ReportRow, ReportWriter } from "../../src/sweep/complianceReport.js";
import { runSweep } from "../../src/sweep/runSweep.js";
import { CONSUMER_SUB, startConsumerStack, type ConsumerStack } from "../helpers/consumerStack.js";
import type { RotationStack } from "../helpers/rotationStack.js";

const SUB = CONSUMER_SUB;
let consumerStack: ConsumerStack;
let stack: RotationStack;
let arm: ArmEmulator;
let app: RotatorApp;
let env: Record<string, string>;
let rotate: ConsumerStack["rotate"];
let versionCount: ConsumerStack["versionCount"];
beforeAll(async () => {
  consumerStack = await startConsumerStack();
  ({ stack, arm, app, env, rotate, versionCount } = consumerStack);
});
afterAll(async () => {
  await consumerStack?.stop();
});

let counter = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid % 1000}x${(counter += 1)}`;

/** A random secret whose Consumers tag names one App Service app referencing it (unpinned, or pinned). */
async function secretWithSite(
  prefix: string,
  options: { pinned?: boolean; group?: string } = {},
): Promise<{ name: string; version: string; site: SiteResource }> {
  const name = unique(prefix);
  const siteName = `${name}-web`;
  const set = await stack.kv.setSecret(name, `CANARY-${name}`, {
    tags: { RotatorType: "random", Consumers: `site:${options.group ?? "apps"}/${siteName}` },
  });
  const version = set.properties.version as string;
  const site = arm.addSite({
    subscriptionId: SUB,
    resourceGroup: options.group ?? "apps",
    name: siteName,
    appSettings: {
      PLAIN: "not a reference",
      API_KEY: `@Microsoft.KeyVault(VaultName=rotation;SecretName=${name}${options.pinned ? `;SecretVersion=${version}` : ""})`,
    },
  });
  return { name, version, site };
}

const refreshes = (site: SiteResource): number =>
  arm.requests.filter(
    (r) => r.method === "POST" && r.path === `${site.id}/config/configreferences/appsettings/refresh`,
  ).length;
const breakLease = (secret: string): Promise<unknown> =>
  app.container
    .getBlobClient(LeaseManager.blobName("rotation", secret))
    .getBlobLeaseClient()
    .breakLease(0)
    .catch(() => undefined);
describe("the ARM emulator's App Service sites", () => {
  it("keep the value a Key Vault reference resolved until the references are refreshed", async () => {
    const { name, version, site } = await secretWithSite("cached");
    const newer = await stack.kv.setSecret(name, "CANARY-newer");
    expect(site.references.API_KEY).toMatchObject({ status: "Resolved", activeVersion: version });
    expect(site.references.PLAIN).toBeUndefined();
    expect(site.references.API_KEY?.activeVersion).not.toBe(newer.properties.version);
  });
});

describe("tell-consumers: App Service Key Vault references", () => {
  it("after commit, the app is refreshed and confirmed on the new version; outcome and audit event say so", async () => {
    const { name, version, site } = await secretWithSite("told");
    const outcome = await rotate(app, name, version);
    expect(outcome.status, JSON.stringify(outcome)).toBe("rotated");
    if (outcome.status !== "rotated") return;
    expect(site.references.API_KEY?.activeVersion).toBe(outcome.newVersion);
    expect(site.references.API_KEY?.value).toBe((await stack.kv.getSecret(name)).value);
    const report = {
      consumer: `site:apps/${site.name}`,
      kind: "site",
      version: outcome.newVersion,
      state: "confirmed",
    };
    expect(outcome.consumers).toEqual([report]);
    const event = stack.topic.events.find((e) => e.id === outcome.rotationId);
    expect((event?.data as { consumers?: unknown }).consumers).toEqual([report]);
    expect(refreshes(site)).toBe(1);
  });

  it("a consumer whose refresh fails does not fail the rotation: reported stale, then told once by a later run", async () => {
    const { name, version, site } = await secretWithSite("stale");
    arm.faults.inject({ operation: "refreshReferences", name: site.name, status: 503, count: 10 });
    const outcome = await rotate(app, name, version);
    arm.faults.clear();
    expect(outcome.status, JSON.stringify(outcome)).toBe("rotated");
    if (outcome.status !== "rotated") return;
    expect(await versionCount(name)).toBe(2);
    expect(outcome.consumers).toMatchObject([{ state: "stale", version: outcome.newVersion }]);
    expect(outcome.consumers?.[0]?.detail).toContain("could not be told");
    // The line the template's consumers-stale alert looks for.
    expect(
      stack.logger.lines.filter((l) => l.startsWith("WARN consumer stale") && l.includes(name)),
    ).toHaveLength(1);
    expect(site.references.API_KEY?.activeVersion).toBe(version);
    const ledger = await new ConsumerLedger(app.container).read("rotation", name);
    expect(ledger?.reports).toMatchObject([{ state: "stale" }]);
    const before = refreshes(site);
    // The resume timer gives the secret a run (it rotates nothing) that tells it, exactly once.
    const summary = await resumeOpenRotations(app.engine, app.openRotations, 50, app.consumerLedger);
    expect(summary.consumers).toBe(1);
    expect(refreshes(site) - before).toBe(1);
    expect(site.references.API_KEY?.activeVersion).toBe(outcome.newVersion);
    expect((await new ConsumerLedger(app.container).read("rotation", name))?.reports).toMatchObject([
      { state: "confirmed", version: outcome.newVersion },
    ]);
    await app.engine.rotate({ vault: "rotation", secret: name, trigger: "sweep", resumeOnly: true });
    expect(refreshes(site) - before).toBe(1);
    expect(await versionCount(name)).toBe(2);
  });

  it("a consumer that keeps refusing is retried by the resume timer with backoff, not every tick", async () => {
    const { name, version, site } = await secretWithSite("refusing");
    arm.faults.inject({ operation: "refreshReferences", name: site.name, status: 403, count: 100 });
    try {
      const outcome = await rotate(app, name, version);
      expect(outcome).toMatchObject({ status: "rotated", consumers: [{ state: "stale" }] });
      const mine = async (at?: Date): Promise<boolean> =>
        (await app.consumerLedger.listStale(at)).some((e) => e.secret === name.toLowerCase());
      expect(await mine()).toBe(true);
      // Refused calls never reach the emulator's request log: count the faults used up instead.
      const tries = (): number => 100 - (arm.faults.pending[0]?.count ?? 0);
      const first = tries();
      await resumeOpenRotations(app.engine, app.openRotations, 50, app.consumerLedger);
      expect(tries()).toBe(first + 1);
      // Refused again: the next try waits 20 s, so the following ticks leave it alone until then.
      expect(await mine()).toBe(false);
      await resumeOpenRotations(app.engine, app.openRotations, 50, app.consumerLedger);
      expect(tries()).toBe(first + 1);
      expect(await mine(new Date(Date.now() + 21_000))).toBe(true);
    } finally {
      arm.faults.clear();
    }
  });

  it("a reference pinned to the old version is told but not confirmed, and says why", async () => {
    const quick = await stack.app({ env: { ...env, CONSUMER_WAIT_SECONDS: "1" } });
    const { name, version, site } = await secretWithSite("pinned", { pinned: true });
    const outcome = await rotate(quick, name, version);
    expect(outcome.status).toBe("rotated");
    if (outcome.status !== "rotated") return;
    expect(outcome.consumers).toMatchObject([{ state: "told" }]);
    expect(outcome.consumers?.[0]?.detail).toContain(`pinned to version ${version}`);
    expect(refreshes(site)).toBe(1);
  });

  it.each(["tell-consumers", "audit-keep"])(
    "a crash before %s converges: the next run tells each consumer exactly once",
    async (step) => {
      const { name, version, site } = await secretWithSite(`crash-${step}`);
      const crashing = await stack.app({
        env,
        checkpoint: (at) => {
          if (at === step) throw new SimulatedCrash(at);
        },
      });
      await expect(rotate(crashing, name, version)).rejects.toBeInstanceOf(SimulatedCrash);
      await breakLease(name);
      const outcome = await rotate(app, name, version);
      expect(outcome).toMatchObject({ status: "rotated", resumed: true });
      expect(refreshes(site)).toBe(1);
      expect(site.references.API_KEY?.activeVersion).toBe(
        (await stack.kv.getSecret(name)).properties.version,
      );
      expect(await versionCount(name)).toBe(2);
    },
  );
});

describe("plan-consumers: consumers are bindings, checked before anything changes", () => {
  it("a consumer outside the allowed scopes fails the rotation and changes nothing", async () => {
    const { name, version, site } = await secretWithSite("outside", { group: "elsewhere" });
    const before = arm.requests.length;
    const outcome = await rotate(app, name, version);
    expect(outcome).toMatchObject({ status: "failed", error: { code: "ConsumerNotAllowed" } });
    expect(await versionCount(name)).toBe(1);
    expect(arm.requests.length).toBe(before);
    expect(refreshes(site)).toBe(0);
  });

  it("a Consumers tag that cannot be used fails as MisconfiguredSecret naming the tag, and changes nothing", async () => {
    const name = unique("badtag");
    const set = await stack.kv.setSecret(name, "CANARY-bad", {
      tags: { RotatorType: "random", Consumers: "site:apps/a,ftp:apps/b" },
    });
    const outcome = await rotate(app, name, set.properties.version as string);
    expect(outcome).toMatchObject({ status: "failed", error: { code: "MisconfiguredSecret" } });
    if (outcome.status === "failed") expect(outcome.error.message).toContain("tag Consumers");
    expect(await versionCount(name)).toBe(1);
  });
});

describe("the compliance report shows consumers", () => {
  it("lists each consumer with the version it was told of and its state, and flags single credentials", async () => {
    const { name, version, site } = await secretWithSite("report");
    const outcome = await rotate(app, name, version);
    expect(outcome.status).toBe("rotated");
    const account = arm.addStorageAccount(unique("reportkeys").replace(/-/g, ""), SUB, "apps");
    const dual = unique("report-dual");
    await stack.kv.setSecret(dual, account.keys.key1, {
      tags: { ProviderAddress: account.id, CredentialId: "key1", Consumers: `site:apps/${dual}-web` },
    });
    const bad = unique("report-bad");
    await stack.kv.setSecret(bad, "CANARY-bad", { tags: { RotatorType: "random", Consumers: "ftp:x/y" } });
    const rows: ReportRow[] = [];
    const writer: ReportWriter = {
      start: async () => undefined,
      row: (row) => rows.push(row),
      flush: async () => undefined,
      end: async () => undefined,
    };
    await runSweep({
      vaults: app.vaults,
      settings: app.config,
      rotate: false,
      dryRun: false,
      trigger: "sweep",
      writers: [writer],
      consumerLedger: new ConsumerLedger(app.container),
    });
    const row = (secret: string): ReportRow | undefined => rows.find((r) => r.secret === secret);
    if (outcome.status !== "rotated") return;
    expect(row(name)?.consumers).toEqual([
      { consumer: `site:apps/${site.name}`, kind: "site", version: outcome.newVersion, state: "confirmed" },
    ]);
    expect(row(name)?.lockoutRisk).toContain("single credential");
    expect(row(dual)?.consumers).toEqual([{ consumer: `site:apps/${dual}-web`, kind: "site" }]);
    expect(row(dual)?.lockoutRisk).toBeUndefined();
    expect(row(bad)?.consumerProblem).toContain("tag Consumers");
    expect(JSON.stringify(rows)).not.toContain("CANARY");
  });
});
