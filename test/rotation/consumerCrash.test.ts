import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SiteResource } from "../../local/arm/armSites.js";
import { SimulatedCrash } from "../../src/errors.js";
import { LeaseManager } from "../../src/rotation/blobLease.js";
import { ConsumerLedger } from "../../src/rotation/consumerLedger.js";
import { resumeOpenRotations } from "../../src/rotation/resumeOpenRotations.js";
import { CONSUMER_SUB, startConsumerStack, type ConsumerStack } from "../helpers/consumerStack.js";

/**
 * The crash matrix's consumer points (crashMatrix.test.ts covers ROTATION_STEPS; the consumer steps are not among
 * them): a run dies right after the commit, before any consumer is told (`tell-consumers`), or after the site
 * was told and before the ledger records it (`tell-consumers:told`), or after the ledger recorded it and before
 * the audit event is kept (`audit-keep`). The resume timer converges: one new version, one SecretRotated id;
 * the resuming run tells the site once when no ledger recorded it being told, and not at all when one did (a
 * refresh is idempotent: the site told by the crashed run and again by the resuming one still reads the
 * latest version once).
 */
let cs: ConsumerStack;
beforeAll(async () => {
  cs = await startConsumerStack();
});
afterAll(async () => {
  await cs?.stop();
});

const refreshes = (site: SiteResource): number =>
  cs.arm.requests.filter(
    (r) => r.method === "POST" && r.path === `${site.id}/config/configreferences/appsettings/refresh`,
  ).length;

describe("crash points of the consumer step", () => {
  // [crash point, refreshes by the crashed run, refreshes by the resuming run]
  it.each([
    ["tell-consumers", 0, 1],
    ["tell-consumers:told", 1, 1],
    ["audit-keep", 1, 0],
  ] as const)(
    "a crash at %s converges: one version, one SecretRotated id, the site told once by a run the ledger did not record",
    async (point, toldBeforeCrash, toldOnResume) => {
      const name = `crash-${point.replace(":", "-")}-${process.pid % 1000}`;
      const set = await cs.stack.kv.setSecret(name, `CANARY-${name}`, {
        tags: { RotatorType: "random", Consumers: `site:apps/${name}-web` },
      });
      const version = set.properties.version as string;
      const site = cs.arm.addSite({
        subscriptionId: CONSUMER_SUB,
        resourceGroup: "apps",
        name: `${name}-web`,
        appSettings: { API_KEY: `@Microsoft.KeyVault(VaultName=rotation;SecretName=${name})` },
      });
      const crashing = await cs.stack.app({
        env: cs.env,
        checkpoint: (at) => {
          if (at === point) throw new SimulatedCrash(at);
        },
      });
      await expect(cs.rotate(crashing, name, version)).rejects.toBeInstanceOf(SimulatedCrash);
      expect(refreshes(site)).toBe(toldBeforeCrash);
      expect(await cs.versionCount(name)).toBe(2);
      // The crashed run's lease would run out; break it rather than wait.
      await cs.app.container
        .getBlobClient(LeaseManager.blobName("rotation", name))
        .getBlobLeaseClient()
        .breakLease(0);

      const summary = await resumeOpenRotations(
        cs.app.engine,
        cs.app.openRotations,
        50,
        cs.app.consumerLedger,
      );
      expect(summary.resumed).toBeGreaterThanOrEqual(1);
      const latest = (await cs.stack.kv.getSecret(name)).properties.version as string;
      expect(refreshes(site) - toldBeforeCrash).toBe(toldOnResume);
      expect(site.references.API_KEY?.activeVersion).toBe(latest);
      expect((await new ConsumerLedger(cs.app.container).read("rotation", name))?.reports).toMatchObject([
        { state: "confirmed", version: latest },
      ]);
      // Another tick and another run change nothing and tell no one again.
      await resumeOpenRotations(cs.app.engine, cs.app.openRotations, 50, cs.app.consumerLedger);
      await cs.app.engine.rotate({ vault: "rotation", secret: name, trigger: "sweep", resumeOnly: true });
      expect(refreshes(site) - toldBeforeCrash).toBe(toldOnResume);
      expect(await cs.versionCount(name)).toBe(2);
      const rotated = cs.stack.topic.events.filter(
        (e) => e.type === "AkvRotator.SecretRotated" && (e.data as { secret?: string }).secret === name,
      );
      expect(new Set(rotated.map((e) => e.id)).size).toBe(1);
      expect((rotated[0]?.data as { consumers?: unknown }).consumers).toMatchObject([
        { consumer: `site:apps/${name}-web`, state: "confirmed", version: latest },
      ]);
    },
  );
});
