import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GraphEmulator } from "../../local/graph/graphEmulator.js";
import type { RotatorApp } from "../../src/rotation/createEngine.js";
import type { RotationOutcome } from "../../src/rotation/rotationOutcome.js";
import { CONSUMER_SUB, startConsumerStack, type ConsumerStack } from "../helpers/consumerStack.js";
import { graphEnv, startGraph } from "../helpers/graphFixture.js";

const DAY = 86_400_000;
let s: ConsumerStack;
let graph: GraphEmulator;
let env: Record<string, string>;
let app: RotatorApp;
beforeAll(async () => {
  [s, graph] = await Promise.all([startConsumerStack(), startGraph()]);
  env = { ...s.env, ...graphEnv(graph), CONSUMER_WAIT_SECONDS: "1" };
  app = await s.stack.app({ env });
});
afterAll(async () => {
  await Promise.all([s?.stop(), graph?.stop()]);
});

let counter = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid % 1000}x${(counter += 1)}`;

/** A site reading the secret: pinned to `version` it never confirms a newer one. */
function site(name: string, pinnedVersion?: string): void {
  s.arm.addSite({
    subscriptionId: CONSUMER_SUB,
    resourceGroup: "apps",
    name: `${name}-web`,
    appSettings: {
      SECRET: `@Microsoft.KeyVault(VaultName=rotation;SecretName=${name}${pinnedVersion ? `;SecretVersion=${pinnedVersion}` : ""})`,
    },
  });
}
const onDemand = (a: RotatorApp, secret: string): Promise<RotationOutcome> =>
  a.engine.rotate({ vault: "rotation", secret, trigger: "http", force: true });

async function entraSecret(prefix: string, pinned: boolean) {
  const entra = graph.addApplication(unique(`${prefix}-app`));
  const seed = graph.addPassword(
    entra,
    "akv-rotator arranged",
    new Date(Date.now() + 10 * DAY).toISOString(),
  );
  const name = unique(prefix);
  const set = await s.stack.kv.setSecret(name, seed.secretText, {
    tags: {
      ProviderAddress: `applications/${entra.id}`,
      RotatorType: "entra-app-secret",
      CredentialId: entra.appId,
      GracePeriodDays: "0",
      Consumers: `site:apps/${name}-web`,
    },
  });
  site(name, pinned ? (set.properties.version as string) : undefined);
  const names = (): string[] => entra.passwordCredentials.map((p) => p.displayName ?? "");
  return { name, version: set.properties.version as string, names };
}

describe("retirement waits for consumers", () => {
  it("an Entra secret with a consumer that never confirms is not removed before the hard limit, then is, reported", async () => {
    const { name, version, names } = await entraSecret("entra-wait", true);
    const first = await s.rotate(app, name, version);
    expect(first).toMatchObject({ status: "rotated", consumers: [{ state: "told" }] });
    // Past the grace period (0 days): without consumers the arranged secret would go now.
    const second = await onDemand(app, name);
    expect(second.status, JSON.stringify(second)).toBe("rotated");
    expect(names()).toContain("akv-rotator arranged");
    if (second.status === "rotated")
      expect(second.retirement?.join("\n")).toContain(
        `client secret 'akv-rotator arranged' kept until site:apps/${name}-web confirm the latest version`,
      );
    // Eleven days later the arranged secret is past its own end (its hard limit): removed, and reported.
    const later = await s.stack.app({
      env,
      now: () => new Date(Date.now() + 11 * DAY),
    });
    const third = await onDemand(later, name);
    expect(third.status, JSON.stringify(third)).toBe("rotated");
    expect(names()).not.toContain("akv-rotator arranged");
    if (third.status === "rotated")
      expect(third.retirement?.join("\n")).toContain("retired at its hard limit");
  });

  it("once the consumer confirmed, the old secret goes after the grace period as before", async () => {
    const { name, version, names } = await entraSecret("entra-confirmed", false);
    const first = await s.rotate(app, name, version);
    expect(first).toMatchObject({ status: "rotated", consumers: [{ state: "confirmed" }] });
    const second = await onDemand(app, name);
    expect(second.status).toBe("rotated");
    expect(names()).not.toContain("akv-rotator arranged");
  });

  it("a key pair's second rotation waits until consumers confirmed the first: nothing is regenerated", async () => {
    const account = s.arm.addStorageAccount(unique("waitkeys").replace(/-/g, ""), CONSUMER_SUB, "apps");
    const name = unique("keys-wait");
    const set = await s.stack.kv.setSecret(name, account.keys.key1, {
      tags: { ProviderAddress: account.id, CredentialId: "key1", Consumers: `site:apps/${name}-web` },
    });
    site(name, set.properties.version as string);
    const first = await s.rotate(app, name, set.properties.version as string);
    expect(first).toMatchObject({ status: "rotated", consumers: [{ state: "told" }] });
    const key1 = account.keys.key1;
    const second = await onDemand(app, name);
    expect(second).toMatchObject({
      status: "failed",
      error: { code: "ConsumersNotConfirmed", retryable: true },
    });
    expect(account.keys.key1).toBe(key1);
    expect(await s.versionCount(name)).toBe(2);
  });
});
