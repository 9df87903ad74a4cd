import { beforeAll, describe, expect, it } from "vitest";
import type { ReportHeader, ReportRow, ReportSummary } from "../../src/sweep/complianceReport.js";
import { SECRET_POLICIES } from "../../src/sweep/secretPolicies.js";
import { POSTURE_CHECKS } from "../../src/sweep/vaultPosture.js";
import { encodingsOf, sweptHtmlReport, type SweptHtmlReport } from "../helpers/sweptHtmlReport.js";

/**
 * The HTML page of a real sweep (Key Vault and ARM emulators), read without a browser: its markup and the data
 * its script renders (the `<script type="application/json">` islands). htmlReport.browser.test.ts drives the
 * rendering of the same page in Chromium; this one runs where Chromium is missing too.
 */
let report: SweptHtmlReport;
beforeAll(async () => {
  report = await sweptHtmlReport();
}, 60_000);

/** The data islands the page's script renders, by id: `<script type="application/json" id="…">…</script>`. */
function islands(page: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of page.matchAll(/<script type="application\/json" id="([a-z]+)">([\s\S]*?)<\/script>/g))
    out[m[1] as string] = JSON.parse(m[2] as string);
  return out;
}

describe("HTML compliance report of a real sweep, read as markup and data", () => {
  it("carries the vault's posture (above the table) and every secret against the five policies", () => {
    const { html } = report;
    const data = islands(html);
    const header = data.header as ReportHeader;
    const rows = data.rows as ReportRow[];
    const summary = data.summary as ReportSummary;
    // The posture panel comes before the secrets table in the markup; the script fills it from the header.
    expect(html.indexOf('data-testid="posture"')).toBeGreaterThan(0);
    expect(html.indexOf('data-testid="posture"')).toBeLessThan(html.indexOf('id="rows-body"'));
    const checks = header.posture?.[0]?.checks ?? [];
    expect(checks.map((c) => c.definitionIds[0])).toEqual(POSTURE_CHECKS.map((c) => c.id));
    expect(checks.filter((c) => c.status !== "pass").map((c) => c.name)).toEqual(["purge-protection"]);
    expect(checks.find((c) => c.name === "purge-protection")?.fix).toContain(
      "az keyvault update --name htmlvault --enable-purge-protection true",
    );
    // One column per policy definition: the header lists the five, each row has a result for each.
    expect(header.policies?.map((p) => p.definitionId)).toEqual(SECRET_POLICIES.map((p) => p.definitionId));
    const policy = Object.fromEntries(rows.map((r) => [r.secret, r.policy]));
    expect(Object.keys(policy).sort()).toEqual(["good", "loose", "soon"]);
    for (const r of rows) expect(Object.keys(r.policy ?? {})).toEqual(SECRET_POLICIES.map((p) => p.name));
    expect(policy.good).toEqual(Object.fromEntries(SECRET_POLICIES.map((p) => [p.name, "pass"])));
    expect(policy.loose).toMatchObject({ "expiration-set": "fail", "content-type": "fail" });
    expect(policy.soon).toMatchObject({ "days-before-expiration": "fail", "expiration-set": "pass" });
    expect(summary.policyNonCompliant?.["expiration-set"]).toBe(1);
    expect(rows.find((r) => r.secret === "good")?.owner).toBe("team-html");
  });

  it("holds no secret value, in any encoding", () => {
    for (const v of report.values) for (const f of encodingsOf(v)) expect(report.html, f).not.toContain(f);
    expect(report.html).not.toContain("CANARY");
  });
});
