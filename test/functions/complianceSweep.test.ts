import type { HttpResponseInit } from "@azure/functions";
import functionsPackage from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { complianceReport } from "../../functions/complianceReport.js";
import { complianceSweep } from "../../functions/complianceSweep.js";
import { invocation, useSettings } from "../helpers/functionsHarness.js";
import { startRotationStack, type RotationStack } from "../helpers/rotationStack.js";

const { HttpRequest } = functionsPackage;
let stack: RotationStack;
const DAY = 86_400_000;
beforeAll(async () => {
  stack = await startRotationStack({ vaultName: "timervault" });
  useSettings(stack.env);
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
afterAll(() => stack?.stop());

const getReport = async (query = ""): Promise<HttpResponseInit> =>
  complianceReport(
    new HttpRequest({ method: "GET", url: `http://127.0.0.1:7071/api/compliance${query}` }),
    invocation("complianceReport").context,
  );

describe("timer: complianceSweep, and GET /api/compliance", () => {
  it("answers 404 before the first sweep, and 400 for an unknown format", async () => {
    expect((await getReport()).status).toBe(404);
    expect((await getReport("?format=pdf")).status).toBe(400);
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
});
