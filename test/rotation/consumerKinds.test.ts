import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsumerLedger } from "../../src/rotation/consumerLedger.js";
import { CONSUMER_SUB, startConsumerStack, type ConsumerStack } from "../helpers/consumerStack.js";

let s: ConsumerStack;
beforeAll(async () => {
  s = await startConsumerStack();
});
afterAll(async () => {
  await s?.stop();
});

let counter = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid % 1000}x${(counter += 1)}`;
const posts = (suffix: string): number =>
  s.arm.requests.filter((r) => r.method !== "GET" && r.path.endsWith(suffix)).length;

/** A random secret read by an APIM named value, a Container App and App Configuration clients (a sentinel). */
async function secretWithConsumers(prefix: string) {
  const name = unique(prefix);
  const set = await s.stack.kv.setSecret(name, `CANARY-${name}`, {
    tags: {
      RotatorType: "random",
      Consumers: `apim:apps/gw/${name}-nv,containerapp:apps/${name}-ca`,
      Consumers2: `appconfig:apps/store/${name}-sentinel`,
    },
  });
  const secretUrl = `${s.stack.vault.emulator.url}/secrets/${name}`;
  const nv = s.arm.addNamedValue({
    subscriptionId: CONSUMER_SUB,
    resourceGroup: "apps",
    service: "gw",
    name: `${name}-nv`,
    secretIdentifier: secretUrl,
  });
  const ca = s.arm.addContainerApp({
    subscriptionId: CONSUMER_SUB,
    resourceGroup: "apps",
    name: `${name}-ca`,
    secrets: [{ name: "db", keyVaultUrl: secretUrl }],
  });
  const sentinel = s.arm.addKeyValue({
    subscriptionId: CONSUMER_SUB,
    resourceGroup: "apps",
    store: "store",
    key: `${name}-sentinel`,
    // A sentinel of this secret, as the store's owner sets it once.
    value: `rotation/${name}`,
  });
  return { name, version: set.properties.version as string, nv, ca, sentinel };
}

describe("tell-consumers: API Management, Container Apps, App Configuration", () => {
  it("refreshes the named value (confirmed), restarts the revision and sets the sentinel (told, and why)", async () => {
    const { name, version, nv, ca, sentinel } = await secretWithConsumers("kinds");
    expect(nv.activeVersion).toBe(version);
    const outcome = await s.rotate(s.app, name, version);
    expect(outcome.status, JSON.stringify(outcome)).toBe("rotated");
    if (outcome.status !== "rotated") return;
    const latest = await s.stack.kv.getSecret(name);
    expect(nv.activeVersion).toBe(outcome.newVersion);
    expect(ca.resolved.db?.value).toBe(latest.value);
    expect(sentinel.value).toBe(`rotation/${name}/${outcome.newVersion}`);
    expect(outcome.consumers).toMatchObject([
      { consumer: `apim:apps/gw/${name}-nv`, kind: "apim", state: "confirmed" },
      { consumer: `containerapp:apps/${name}-ca`, kind: "containerapp", state: "told" },
      { consumer: `appconfig:apps/store/${name}-sentinel`, kind: "appconfig", state: "told" },
    ]);
    expect(outcome.consumers?.[1]?.detail).toContain("does not show which version");
    expect(outcome.consumers?.[2]?.detail).toContain("own refresh interval");
    expect(JSON.stringify(outcome)).not.toContain(latest.value as string);
  });

  it("an App Configuration key that is not this secret's sentinel is never overwritten (reported stale, and why)", async () => {
    const victim = s.arm.addKeyValue({
      subscriptionId: CONSUMER_SUB,
      resourceGroup: "apps",
      store: "store",
      key: "PaymentsApiBaseUrl",
      value: "https://payments.internal",
    });
    const set = await s.stack.kv.setSecret("my-api-key", "CANARY-my-api-key", {
      tags: { RotatorType: "random", Consumers: "appconfig:apps/store/PaymentsApiBaseUrl" },
    });
    const outcome = await s.rotate(s.app, "my-api-key", set.properties.version as string);
    expect(outcome.status, JSON.stringify(outcome)).toBe("rotated");
    if (outcome.status !== "rotated") return;
    expect(victim.value).toBe("https://payments.internal");
    expect(outcome.consumers).toMatchObject([{ state: "stale" }]);
    expect(outcome.consumers?.[0]?.detail).toContain("not a sentinel of rotation/my-api-key");
  });

  it("a named value whose refresh fails is stale; a later run refreshes it once and confirms it", async () => {
    const { name, version, nv } = await secretWithConsumers("apim-stale");
    s.arm.faults.inject({ operation: "refreshSecret", name: nv.name, status: 400, count: 1 });
    const outcome = await s.rotate(s.app, name, version);
    expect(outcome.status).toBe("rotated");
    if (outcome.status !== "rotated") return;
    expect(outcome.consumers?.[0]).toMatchObject({ kind: "apim", state: "stale" });
    expect(nv.activeVersion).toBe(version);
    const restarts = posts(`/containerApps/${name}-ca/revisions/${name}-ca--0000001/restart`);
    const refreshes = posts(`/namedValues/${nv.name}/refreshSecret`);
    await s.app.engine.rotate({ vault: "rotation", secret: name, trigger: "sweep", resumeOnly: true });
    expect(nv.activeVersion).toBe(outcome.newVersion);
    expect(posts(`/namedValues/${nv.name}/refreshSecret`) - refreshes).toBe(1);
    // Those already told are not told again.
    expect(posts(`/containerApps/${name}-ca/revisions/${name}-ca--0000001/restart`)).toBe(restarts);
    const ledger = await new ConsumerLedger(s.app.container).read("rotation", name);
    expect(ledger?.reports.map((r) => r.state)).toEqual(["confirmed", "told", "told"]);
  });

  it("a named value whose refresh was only accepted (202) is not confirmed by a fetch from before the commit", async () => {
    const quick = await s.stack.app({
      env: { ...s.env, CONSUMER_WAIT_SECONDS: "1" },
    });
    const { name, version, nv } = await secretWithConsumers("apim-accepted");
    // As a long-running refresh that has not run yet: accepted, nothing fetched; lastStatus is the old Success.
    s.arm.faults.inject({ operation: "refreshSecret", name: nv.name, status: 202, body: {} });
    const outcome = await s.rotate(quick, name, version);
    expect(outcome.status).toBe("rotated");
    expect(nv.lastStatus.code).toBe("Success");
    expect(outcome.status === "rotated" && outcome.consumers?.[0]).toMatchObject({
      kind: "apim",
      state: "told",
    });
    expect(outcome.status === "rotated" && outcome.consumers?.[0]?.detail).toContain(
      "before the new version",
    );
  });
});
