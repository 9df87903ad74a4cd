import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import { runCli } from "../../src/cli/main.js";
import { loadConfig, type AppConfig } from "../../src/config.js";
import { readVaultPosture } from "../../src/sweep/readVaultPosture.js";
import { POSTURE_CHECKS, type VaultPosture } from "../../src/sweep/vaultPosture.js";
import { EmulatorCredential } from "../../src/vault/emulatorCredential.js";
import { startArm } from "../helpers/armFixture.js";
import { TEST_CERT_DIR } from "../helpers/keyVaultFixture.js";

let arm: ArmEmulator;
let config: AppConfig;
let env: Record<string, string>;
const SUB = "11111111-2222-3333-4444-555555555555";
const id = (name: string): string =>
  `/subscriptions/${SUB}/resourceGroups/vaults/providers/Microsoft.KeyVault/vaults/${name}`;
const VAULTS = ["good-kv", "bad-kv", "open-kv", "short-logs", "secret-kv"];
let denied = "";

beforeAll(async () => {
  arm = await startArm({
    // The app's identity may read everything but secret-kv's diagnostic settings.
    authorize: (_who, action, scope) =>
      !(scope === id("secret-kv") && action === "Microsoft.Insights/diagnosticSettings/read"),
  });
  const add = (name: string, props: Parameters<ArmEmulator["vaults"]["add"]>[0]): void => {
    arm.vaults.add({ subscriptionId: SUB, resourceGroup: "vaults", ...props, name });
  };
  add("good-kv", { name: "good-kv" });
  add("bad-kv", {
    name: "bad-kv",
    softDelete: false,
    purgeProtection: false,
    rbac: false,
    publicNetworkAccess: "Enabled",
    firewallDefaultAction: "Allow",
    privateEndpoints: ["Pending"],
    diagnosticSettings: [],
  });
  // Public access on, behind a firewall: the firewall policy passes, the public-access one fails.
  add("open-kv", { name: "open-kv", publicNetworkAccess: "Enabled", firewallDefaultAction: "Deny" });
  add("short-logs", {
    name: "short-logs",
    diagnosticSettings: [
      {
        name: "to-storage",
        workspaceId: "/w",
        logs: [{ category: "AuditEvent", enabled: true, retentionDays: 30 }],
      },
      { name: "off", workspaceId: "/w", logs: [{ category: "AuditEvent", enabled: false }] },
    ],
  });
  add("secret-kv", { name: "secret-kv" });
  env = {
    KEYVAULT_URIS: VAULTS.map((v) => `${v}=https://127.0.0.1:1`).join(","),
    KEYVAULT_RESOURCE_IDS: VAULTS.map(id).join(","),
    AKV_ROTATOR_CREDENTIAL: "emulator",
    AKV_ROTATOR_TLS_CA_FILE: path.join(TEST_CERT_DIR, "localhost-ca.pem"),
    ARM_ENDPOINT: arm.url,
  };
  config = loadConfig(env, { requireStorage: false });
  denied = id("secret-kv");
});
afterAll(() => arm?.stop());

async function posture(): Promise<Map<string, VaultPosture>> {
  const vaults = config.vaults.map((v) => ({ name: v.name, resourceId: config.vaultResourceIds[v.name] }));
  const read = await readVaultPosture(config, [...vaults, { name: "no-id" }], new EmulatorCredential());
  return new Map(read.map((v) => [v.vault, v]));
}
const status = (p: VaultPosture | undefined): Record<string, string> =>
  Object.fromEntries((p?.checks ?? []).map((c) => [c.name, c.status]));

describe("vault posture through ARM (emulated Microsoft.KeyVault/vaults and diagnosticSettings)", () => {
  it("a well-kept vault passes every check; a neglected one fails each, saying what to change", async () => {
    const all = await posture();
    const good = all.get("good-kv");
    expect(good?.checks.map((c) => c.definitionIds[0])).toEqual(POSTURE_CHECKS.map((c) => c.id));
    expect(Object.values(status(good))).toEqual(POSTURE_CHECKS.map(() => "pass"));
    const bad = all.get("bad-kv");
    expect(Object.values(status(bad))).toEqual(POSTURE_CHECKS.map(() => "fail"));
    for (const c of bad?.checks ?? []) expect(c.fix, c.name).toMatch(/az |private endpoint/);
    expect(bad?.checks.find((c) => c.name === "purge-protection")?.fix).toContain(
      "az keyvault update --name bad-kv --enable-purge-protection true",
    );
  });

  it("firewall and public access are two policies; logs must be enabled and kept long enough", async () => {
    const all = await posture();
    expect(status(all.get("open-kv"))).toMatchObject({ firewall: "pass", "public-network-disabled": "fail" });
    const logs = all.get("short-logs")?.checks.find((c) => c.name === "resource-logs");
    expect(logs?.status).toBe("fail");
    expect(logs?.detail).toContain("kept at least 365 days");
  });

  it("what ARM refuses is unknown, with ARM's reason; a vault without a resource ID says which setting", async () => {
    const all = await posture();
    const logs = all.get("secret-kv")?.checks.find((c) => c.name === "resource-logs");
    expect(logs?.status).toBe("unknown");
    expect(logs?.detail).toContain("AuthorizationFailed");
    expect(logs?.detail).toContain(denied);
    expect(status(all.get("secret-kv"))["rbac"]).toBe("pass");
    expect(all.get("no-id")?.error).toContain("KEYVAULT_RESOURCE_IDS");
  });

  it("akv-rotator posture: exit code 1 with each failing check and its fix; 0 when all pass", async () => {
    const run = async (args: string[]): Promise<{ code: number; out: string }> => {
      const out: string[] = [];
      const code = await runCli(args, {
        out: (l) => out.push(l),
        err: (l) => out.push(l),
        isTTY: false,
        env,
        cwd: process.cwd(),
      });
      return { code, out: out.join("\n") };
    };
    const bad = await run(["posture", "bad-kv"]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(
      "FAIL Key vaults should have deletion protection enabled [0b60c0b2-2dc2-4e1c-b5c9-abbed971de53]",
    );
    expect(bad.out).toContain("then az keyvault update --name bad-kv --enable-rbac-authorization true");
    expect(bad.out).toContain("fix: az keyvault update --name bad-kv --enable-purge-protection true");
    const good = await run(["posture", "good-kv", "--json"]);
    expect(good.code).toBe(0);
    expect((JSON.parse(good.out) as VaultPosture[])[0]?.checks).toHaveLength(7);
  });
});
