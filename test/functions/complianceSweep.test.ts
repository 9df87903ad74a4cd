import type { HttpResponseInit } from "@azure/functions";
import functionsPackage from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { complianceReport } from "../../functions/complianceReport.js";
import { complianceSweep } from "../../functions/complianceSweep.js";
import { scheduledRotations } from "../../functions/scheduledRotations.js";
import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import { startArm } from "../helpers/armFixture.js";
import { invocation, principalHeader, useSettings } from "../helpers/functionsHarness.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

const { HttpRequest } = functionsPackage;
let stack: RotationStack;
let arm: ArmEmulator;
const DAY = 86_400_000;
const TIMER = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: "", next: "", lastUpdated: "" },
};
let vaultId = "";
beforeAll(async () => {
  [stack, arm] = await Promise.all([startRotationStack({ vaultName: "timervault" }), startArm()]);
  // As ARM sees the vault: purge protection off, everything else in order.
  vaultId = arm.vaults.add({ name: "timervault", purgeProtection: false }).id;
  useSettings(stack.env, { ARM_ENDPOINT: arm.url, KEYVAULT_RESOURCE_IDS: vaultId });
  await stack.kv.setSecret("due", "CANARY-timer-due", {
    tags: { RotatorType: "random" },
    expiresOn: new Date(Date.now() + 2 * DAY),
  });
  await stack.kv.setSecret("fine", "CANARY-timer-fine", {
    tags: { RotatorType: "random" },
    expiresOn: new Date(Date.now() + 80 * DAY),
  });
  await stack.kv.setSecret("loose", "CANARY-timer-loose", {});
});
afterAll(async () => {
  await Promise.all([stack?.stop(), arm?.stop()]);
});

const getReport = async (query = "", headers: Record<string, string> = {}): Promise<HttpResponseInit> =>
  complianceReport(
    new HttpRequest({ method: "GET", url: `http://127.0.0.1:7071/api/compliance${query}`, headers }),
    invocation("complianceReport").context,
  );

describe("timer: complianceSweep, and GET /api/compliance", () => {
  it("answers 404 before the first sweep, and 400 for an unknown format", async () => {
    expect((await getReport()).status).toBe(404);
    expect((await getReport("?format=pdf")).status).toBe(400);
  });

  it("needs the app role when HTTP_REQUIRED_ROLE is set, as the rest of the HTTP API does", async () => {
    useSettings(stack.env, {
      ARM_ENDPOINT: arm.url,
      KEYVAULT_RESOURCE_IDS: vaultId,
      HTTP_REQUIRED_ROLE: "Rotator.Rotate",
      WEBSITE_AUTH_ENABLED: "True",
    });
    try {
      expect((await getReport()).status).toBe(401);
      expect((await getReport("", { "x-ms-client-principal": principalHeader(["Reader"]) })).status).toBe(
        403,
      );
      // With the role, it gets as far as the report (none stored yet).
      expect(
        (await getReport("", { "x-ms-client-principal": principalHeader(["Rotator.Rotate"]) })).status,
      ).toBe(404);
    } finally {
      useSettings(stack.env, {
        ARM_ENDPOINT: arm.url,
        KEYVAULT_RESOURCE_IDS: vaultId,
        HTTP_REQUIRED_ROLE: undefined,
        WEBSITE_AUTH_ENABLED: undefined,
      });
    }
  });

  it("rotates what is due, stores the report, and emits ComplianceSweepCompleted", async () => {
    const { context, logs } = invocation("complianceSweep");
    await complianceSweep(
      {
        isPastDue: false,
        schedule: { adjustForDST: true },
        scheduleStatus: { last: "", next: "", lastUpdated: "" },
      },
      context,
    );
    expect(logs.map((l) => l.text).join("\n")).toMatch(
      /sweep: 3 secrets \(1 ok, 1 near-expiry, 1 unmanaged\); 1 rotated, 0 failed/,
    );
    const completed = stack.topic.events.find((e) => e.type === "AkvRotator.ComplianceSweepCompleted");
    expect(completed?.data).toMatchObject({ total: 3, rotated: 1, failed: 0, byState: { "near-expiry": 1 } });

    const json = await getReport();
    expect(json.status).toBe(200);
    const report = JSON.parse(Buffer.from(json.body as Uint8Array).toString("utf8")) as {
      schemaVersion: number;
      secrets: { secret: string; action: string }[];
    };
    expect(report.schemaVersion).toBe(1);
    // The vault's posture heads the report; the policy columns are in every row, counted in the summary.
    const full = report as unknown as {
      posture: { vault: string; checks: { name: string; status: string }[] }[];
      summary: { policyNonCompliant: Record<string, number> };
      secrets: { secret: string; policy: Record<string, string> }[];
    };
    expect(full.posture[0]?.checks.filter((c) => c.status !== "pass").map((c) => c.name)).toEqual([
      "purge-protection",
    ]);
    expect(full.summary.policyNonCompliant["expiration-set"]).toBe(1);
    expect(full.secrets.find((r) => r.secret === "loose")?.policy["expiration-set"]).toBe("fail");
    // The rotated secret is judged as the sweep left it: a fresh version with an expiry.
    expect(full.secrets.find((r) => r.secret === "due")?.policy["days-before-expiration"]).toBe("pass");
    expect(report.secrets.map((r) => `${r.secret}:${r.action}`).sort()).toEqual([
      "due:rotated",
      "fine:none",
      "loose:none",
    ]);
    const html = await getReport("?format=html");
    expect((html.headers as Record<string, string>)["content-security-policy"]).toContain(
      "default-src 'none'",
    );
    expect(Buffer.from(html.body as Uint8Array).toString("utf8")).toContain("akv-rotator compliance report");
    expect(JSON.stringify(report)).not.toContain("CANARY");
  });

  it("writes the line the 'secrets-need-attention' alert reads when a secret needs a person", async () => {
    await stack.kv.setSecret("broken", "CANARY-timer-broken", {
      tags: { RotatorType: "random", ValidityPeriodDays: "often" },
      expiresOn: new Date(Date.now() + 40 * DAY),
    });
    const { context, logs } = invocation("complianceSweep");
    await complianceSweep(TIMER, context);
    expect(logs.map((l) => l.text)).toContain(
      "sweep needs attention: expired=0 misconfigured=1 overdue=0 pending-stuck=0 failed=0",
    );
  });

  it("scheduledRotations: with nothing due in the sweep's index, it does nothing and says nothing", async () => {
    const { context, logs } = invocation("scheduledRotations");
    await scheduledRotations(TIMER, context);
    expect(logs).toEqual([]);
  });
});
