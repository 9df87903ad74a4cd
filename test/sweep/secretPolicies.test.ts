import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createVaultGateways } from "../../src/rotation/createEngine.js";
import type { ReportHeader, ReportRow, ReportSummary } from "../../src/sweep/complianceReport.js";
import { JsonReportWriter } from "../../src/sweep/jsonReportWriter.js";
import { runSweep } from "../../src/sweep/runSweep.js";
import { SECRET_POLICIES } from "../../src/sweep/secretPolicies.js";
import { EmulatorCredential } from "../../src/vault/emulatorCredential.js";
import { ThrottleSignal } from "../../src/vault/throttlePolicy.js";
import { startVault, TEST_CERT_DIR, type VaultFixture } from "../helpers/keyVaultFixture.js";

const DAY = 86_400_000;
let vault: VaultFixture;
const inDays = (d: number): Date => new Date(Date.now() + d * DAY);

beforeAll(async () => {
  vault = await startVault({ vaultName: "policyvault" });
  const kv = vault.client();
  const json = { contentType: "application/json" };
  await kv.setSecret("all-good", "{}", { ...json, expiresOn: inDays(90), tags: { RotatorType: "random" } });
  await kv.setSecret("no-expiry", "CANARY-no-expiry");
  await kv.setSecret("soon", "CANARY-soon", { ...json, expiresOn: inDays(10) });
  await kv.setSecret("twenty-five", "CANARY-25", { ...json, expiresOn: inDays(25) });
  await kv.setSecret("long", "CANARY-long", { ...json, expiresOn: inDays(400) });
  await kv.setSecret("old", "CANARY-old", { ...json, expiresOn: inDays(40), notBefore: inDays(-400) });
}, 60_000);
afterAll(() => vault?.stop());

async function sweep(env: Record<string, string> = {}): Promise<{
  header: ReportHeader;
  rows: Map<string, ReportRow>;
  summary: ReportSummary;
  text: string;
}> {
  const config = loadConfig(
    {
      KEYVAULT_URIS: `policyvault=${vault.emulator.url}`,
      AKV_ROTATOR_CREDENTIAL: "emulator",
      AKV_ROTATOR_TLS_CA_FILE: path.join(TEST_CERT_DIR, "localhost-ca.pem"),
      ...env,
    },
    { requireStorage: false },
  );
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  await runSweep({
    vaults: createVaultGateways(config, new EmulatorCredential(), new ThrottleSignal()),
    settings: config,
    rotate: false,
    dryRun: false,
    trigger: "cli",
    writers: [new JsonReportWriter(stream)],
    policy: config.policy,
    posture: [{ vault: "policyvault", checks: [], error: "no vault resource ID" }],
  });
  const text = Buffer.concat(chunks).toString("utf8");
  const report = JSON.parse(text) as ReportHeader & { secrets: ReportRow[]; summary: ReportSummary };
  return {
    header: report,
    rows: new Map(report.secrets.map((r) => [r.secret, r])),
    summary: report.summary,
    text,
  };
}

describe("secrets against the Azure Policy built-in definitions", () => {
  it("each policy fails and passes on the secrets it should; the summary counts non-compliance per policy", async () => {
    const { header, rows, summary, text } = await sweep();
    expect(header.policies?.map((p) => p.definitionId)).toEqual([
      "98728c90-32c7-4049-8429-847dc0f4fe37",
      "b0eb591a-5e70-4534-a8bf-04b9c489584a",
      "342e8053-e12e-4c44-be01-c3c2f318400f",
      "e8d99835-8a06-45ae-a8e0-87a91941ccfe",
      "75262d3e-ba4a-4f43-85f8-9f72c090e5e3",
    ]);
    expect(header.policies?.[1]?.parameters).toEqual({ minimumDaysBeforeExpiration: 30 });
    expect(rows.get("all-good")?.policy).toEqual(
      Object.fromEntries(SECRET_POLICIES.map((p) => [p.name, "pass"])),
    );
    expect(rows.get("no-expiry")?.policy).toEqual({
      "expiration-set": "fail",
      "days-before-expiration": "n/a",
      "maximum-validity": "fail",
      "maximum-active": "pass",
      "content-type": "fail",
    });
    expect(rows.get("soon")?.policy?.["days-before-expiration"]).toBe("fail");
    expect(rows.get("twenty-five")?.policy?.["days-before-expiration"]).toBe("fail");
    expect(rows.get("long")?.policy?.["maximum-validity"]).toBe("fail");
    expect(rows.get("long")?.policy?.["days-before-expiration"]).toBe("pass");
    expect(rows.get("old")?.policy?.["maximum-active"]).toBe("fail");
    expect(rows.get("old")?.policy?.["maximum-validity"]).toBe("pass");
    expect(summary.policyNonCompliant).toEqual({
      "expiration-set": 1,
      "days-before-expiration": 2,
      "maximum-validity": 2,
      "maximum-active": 1,
      "content-type": 1,
    });
    expect(header.posture?.[0]?.error).toBe("no vault resource ID");
    expect(text).not.toContain("CANARY");
  });

  it("takes the policies' parameters from the settings", async () => {
    const { header, rows, summary } = await sweep({
      POLICY_MIN_DAYS_BEFORE_EXPIRATION: "20",
      POLICY_MAX_VALIDITY_DAYS: "500",
      POLICY_MAX_ACTIVE_DAYS: "500",
    });
    expect(header.policies?.[1]?.parameters).toEqual({ minimumDaysBeforeExpiration: 20 });
    expect(rows.get("twenty-five")?.policy?.["days-before-expiration"]).toBe("pass");
    expect(rows.get("long")?.policy?.["maximum-validity"]).toBe("pass");
    expect(rows.get("old")?.policy?.["maximum-active"]).toBe("pass");
    expect(summary.policyNonCompliant?.["days-before-expiration"]).toBe(1);
  });
});
