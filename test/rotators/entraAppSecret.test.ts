import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GraphEmulator } from "../../local/graph/graphEmulator.js";
import { SecretTagError } from "../../src/errors.js";
import { entraAppSecretRotator } from "../../src/rotators/entraAppSecret.js";
import { startGraph, graphEnv } from "../helpers/graphFixture.js";
import { azureContext } from "../helpers/rotatorContext.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";
import { rotatorContract } from "./contract.js";

let graph: GraphEmulator;
let denied = false;
const start = async (): Promise<void> => {
  graph = await startGraph({ authorize: () => !denied });
};

/** An application whose current client secret akv-rotator made in an earlier (arranged) rotation. */
function arrangeApp(
  id: string,
  graceDays = "0",
): { tags: Record<string, string>; value: string; appId: string } {
  const app = graph.addApplication(`orders-${id}`);
  const seed = graph.addPassword(app, `akv-rotator arranged-${id}`);
  return {
    appId: app.appId,
    value: seed.secretText,
    tags: {
      ProviderAddress: `applications/${app.id}`,
      RotatorType: "entra-app-secret",
      CredentialId: app.appId,
      GracePeriodDays: graceDays,
      RotationId: `arranged-${id}`,
      RotatedAt: new Date(Date.now() - 86_400_000).toISOString(),
    },
  };
}

rotatorContract("entra-app-secret", () => ({
  rotator: entraAppSecretRotator,
  setup: start,
  teardown: async () => graph?.stop(),
  azure: () => azureContext({ graph: graph.url, authority: graph.url }),
  env: () => graphEnv(graph),
  arrange: async (id) => {
    const { tags, value } = arrangeApp(id);
    return { tags, value };
  },
  accepts: async (tags, value) => graph.accepts(tags.CredentialId as string, value),
  requiredTags: ["ProviderAddress"],
  verifyRejectsWrongValue: true,
}));

describe("entra-app-secret", () => {
  let stack: RotationStack;
  beforeAll(async () => {
    [stack] = await Promise.all([startRotationStack({ vaultName: "entra" }), start()]);
  });
  afterAll(async () => Promise.all([stack?.stop(), graph?.stop()]));

  it("names what is wrong in the tags", () => {
    const ok = { ProviderAddress: "applications(appId='00000000-0000-0000-0000-000000000001')" };
    expect(entraAppSecretRotator.parseTarget(ok, "s").path).toBe(
      "/applications(appId='00000000-0000-0000-0000-000000000001')",
    );
    expect(() => entraAppSecretRotator.parseTarget({ ProviderAddress: "/subscriptions/x" }, "s")).toThrow(
      SecretTagError,
    );
    expect(() => entraAppSecretRotator.parseTarget({ ...ok, GracePeriodDays: "a week" }, "s")).toThrow(
      /GracePeriodDays/,
    );
    expect(() => entraAppSecretRotator.parseTarget({ ...ok, CredentialId: "orders-app" }, "s")).toThrow(
      /CredentialId/,
    );
  });

  it("keeps the previous secret through the grace period and never removes secrets it did not make", async () => {
    const { tags, value, appId } = arrangeApp("grace", "30");
    const app = [...graph.applications.values()].find((a) => a.appId === appId);
    const foreign = graph.addPassword(app!, "made by hand");
    await stack.kv.setSecret("orders-client-secret", value, { tags });
    const engine = (await stack.app({ env: graphEnv(graph) })).engine;
    const request = { vault: "entra", secret: "orders-client-secret", trigger: "cli" as const, force: true };
    const first = await engine.rotate(request);
    expect(first.status).toBe("rotated");
    const second = await engine.rotate(request);
    expect(second.status).toBe("rotated");
    // Within 30 days of the first rotation nothing is removed: three of ours and the hand-made one.
    expect(graph.accepts(appId, value)).toBe(true);
    expect(graph.accepts(appId, foreign.secretText)).toBe(true);
    expect(app?.passwordCredentials.map((p) => p.displayName)).toEqual([
      "akv-rotator arranged-grace",
      "made by hand",
      `akv-rotator ${first.rotationId}`,
      `akv-rotator ${second.rotationId}`,
    ]);
    const latest = await stack.kv.getSecret("orders-client-secret");
    const issued = app?.passwordCredentials.at(-1);
    // The new secret outlives the version by the grace period.
    expect(
      new Date(issued?.endDateTime ?? 0).getTime() - (latest.properties.expiresOn?.getTime() ?? 0),
    ).toBeGreaterThan(29 * 86_400_000);
    expect(JSON.stringify([first, second])).not.toContain(latest.value);

    // Thirty-one days on (the engine's clock), the next rotation retires its own earlier secrets: not the one
    // the latest version holds, not the hand-made one.
    const later = (
      await stack.app({ env: graphEnv(graph), now: () => new Date(Date.now() + 31 * 86_400_000) })
    ).engine;
    const third = await later.rotate(request);
    expect(third.status).toBe("rotated");
    expect(app?.passwordCredentials.map((p) => p.displayName)).toEqual([
      "made by hand",
      `akv-rotator ${second.rotationId}`,
      `akv-rotator ${third.rotationId}`,
    ]);
    expect(graph.accepts(appId, latest.value as string)).toBe(true);
    expect(graph.accepts(appId, value)).toBe(false);
  });

  it("fails clearly and adds nothing when the app's identity may not change the application", async () => {
    const { tags, value, appId } = arrangeApp("denied");
    await stack.kv.setSecret("denied-client-secret", value, { tags });
    const engine = (await stack.app({ env: graphEnv(graph) })).engine;
    denied = true;
    try {
      const outcome = await engine.rotate({
        vault: "entra",
        secret: "denied-client-secret",
        trigger: "cli",
        force: true,
      });
      expect(outcome).toMatchObject({
        status: "failed",
        error: { code: "TargetPermissionDenied" },
        pendingKept: false,
      });
    } finally {
      denied = false;
    }
    const app = [...graph.applications.values()].find((a) => a.appId === appId);
    expect(app?.passwordCredentials).toHaveLength(1);
    expect((await stack.kv.getSecret("denied-client-secret")).value).toBe(value);
  });
});
