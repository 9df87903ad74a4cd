import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { PassThrough } from "node:stream";
import { chromium, type Browser } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECRET_STATES, type SecretState } from "../../src/sweep/classifySecret.js";
import {
  REPORT_SCHEMA,
  REPORT_SCHEMA_VERSION,
  type ReportRow,
  type ReportSummary,
} from "../../src/sweep/complianceReport.js";
import { HtmlReportWriter } from "../../src/sweep/htmlReportWriter.js";
import { unpackNpmChromium, type NpmChromium } from "../helpers/npmChromium.js";
import { describePolicies, SECRET_POLICIES, type PolicyResults } from "../../src/sweep/secretPolicies.js";
import { evaluateVaultPosture } from "../../src/sweep/vaultPosture.js";
import { encodingsOf, sweptHtmlReport, type SweptHtmlReport } from "../helpers/sweptHtmlReport.js";

const VAULT_ID =
  "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/prod-kv";
const DAY = 86_400_000;
let browser: Browser;
/** The browser comes from the npm registry (devDependency @sparticuz/chromium): no system Chromium needed. */
let npmChromium: NpmChromium | undefined;
let server: Server;
let url = "";
let html = "";
let swept: SweptHtmlReport;
const now = Date.now();

/** A report with every state, expiries spread over the coming months, and a name that tries to inject markup. */
async function buildReport(): Promise<string> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  const writer = new HtmlReportWriter(stream);
  await writer.start({
    schema: REPORT_SCHEMA,
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: new Date(now).toISOString(),
    trigger: "sweep",
    rotate: true,
    dryRun: false,
    vaults: [{ name: "prod-kv", url: "https://prod-kv.vault.azure.net" }],
    settings: { rotateBeforeExpiryDays: 30, defaultValidityDays: 60 },
    policies: describePolicies({
      minimumDaysBeforeExpiration: 30,
      maximumValidityInDays: 365,
      maximumActiveDays: 365,
      requiredRetentionDays: 365,
    }),
    // The demo vault's posture: purge protection off and public network access on (behind a firewall).
    posture: [
      {
        vault: "prod-kv",
        resourceId: VAULT_ID,
        checks: evaluateVaultPosture(
          "prod-kv",
          VAULT_ID,
          {
            enableSoftDelete: true,
            enableRbacAuthorization: true,
            publicNetworkAccess: "Enabled",
            networkAcls: { defaultAction: "Deny" },
            privateEndpointConnections: [{ privateLinkServiceConnectionState: { status: "Approved" } }],
          },
          [{ name: "audit", workspaceId: "/w", logs: [{ category: "AuditEvent", enabled: true }] }],
          365,
        ),
      },
    ],
  });
  const byState = Object.fromEntries(SECRET_STATES.map((s) => [s, 0])) as Record<SecretState, number>;
  for (let i = 0; i < 120; i += 1) {
    const state = SECRET_STATES[i % SECRET_STATES.length] as SecretState;
    byState[state] += 1;
    const row: ReportRow = {
      vault: "prod-kv",
      secret: i === 7 ? "</script><img src=x onerror=alert(1)>" : `app-${state}-${i}`,
      state,
      detail: `detail for ${i}`,
      enabled: i !== 9,
      rotator: "postgres",
      ...(state === "no-expiry" || state === "unmanaged"
        ? {}
        : { expiresOn: new Date(now + ((i % 26) - 2) * 7 * DAY).toISOString() }),
      action: state === "near-expiry" ? "rotated" : "none",
      // Every fourth secret has no content type; every tenth no expiry date.
      policy: Object.fromEntries(
        SECRET_POLICIES.map((p) => [
          p.name,
          p.name === "content-type"
            ? i % 4 === 0
              ? "fail"
              : "pass"
            : p.name === "expiration-set"
              ? i % 10 === 0
                ? "fail"
                : "pass"
              : "pass",
        ]),
      ) as PolicyResults,
    };
    writer.row(row);
  }
  const summary: ReportSummary = {
    total: 120,
    byState,
    rotated: 15,
    failed: 0,
    unresolved: 45,
    wouldRotate: 0,
    openRotations: [],
    throttled: 0,
    policyNonCompliant: {
      "expiration-set": 12,
      "days-before-expiration": 0,
      "maximum-validity": 0,
      "maximum-active": 0,
      "content-type": 30,
    },
    durationMs: 1234,
    completedAt: new Date(now).toISOString(),
  };
  await writer.end(summary);
  return Buffer.concat(chunks).toString("utf8");
}

beforeAll(async () => {
  html = await buildReport();
  swept = await sweptHtmlReport();
  server = createServer((req, res) =>
    res
      .writeHead(200, { "content-type": "text/html; charset=utf-8" })
      .end(req.url === "/swept.html" ? swept.html : html),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/report.html`;
  npmChromium = await unpackNpmChromium();
  browser = await chromium.launch({
    executablePath: npmChromium.executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  server?.close();
  await npmChromium?.remove();
});

describe("HTML compliance report in a real Chromium", () => {
  it("draws the expiry timeline, shows the summary, filters the table, and fetches nothing", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("dialog", (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(url);
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);

    expect(await page.locator('[data-testid="timeline-bar"]').count()).toBeGreaterThan(10);
    expect(await page.locator('[data-testid="card-expired"] .n').textContent()).toBe("15");
    expect(await page.locator('[data-testid="row"]').count()).toBe(120);
    await page.fill("#filter", "app-overdue");
    expect(await page.locator('[data-testid="row"]').count()).toBe(15);
    await page.fill("#filter", "");
    await page.selectOption("#state", "misconfigured");
    expect(await page.locator('[data-testid="row"]').count()).toBe(15);
    await page.selectOption("#state", "");
    await page.click('[data-testid="card-near-expiry"]');
    expect(await page.locator("#shown").textContent()).toBe("showing 15 of 15 (120 in all)");
    // The hostile name is shown as text, not markup.
    await page.selectOption("#state", "");
    await page.fill("#filter", "onerror");
    expect(await page.locator('[data-testid="row"] td').nth(1).textContent()).toBe(
      "</script><img src=x onerror=alert(1)>",
    );
    expect(await page.locator("img").count()).toBe(0);
    await page.fill("#filter", "");

    // The vault posture at the top: each check with its status; failing ones say what to change.
    const checks = page.locator('[data-testid="posture-check"]');
    expect(await checks.count()).toBe(7);
    const failing = page.locator('[data-testid="posture-check"][data-status="fail"]');
    expect(await failing.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-check")))).toEqual([
      "purge-protection",
      "public-network-disabled",
    ]);
    expect(await failing.first().textContent()).toContain(
      "az keyvault update --name prod-kv --enable-purge-protection true",
    );
    expect(await failing.first().textContent()).toContain("0b60c0b2-2dc2-4e1c-b5c9-abbed971de53");
    const postureBox = await page.locator('[data-testid="posture"]').boundingBox();
    const tableBox = await page.locator("#rows-body").boundingBox();
    expect((postureBox?.y ?? 1e9) < (tableBox?.y ?? 0)).toBe(true);

    // One column per policy definition; each cell shows its result; a card counts each policy's failures.
    expect(await page.locator('[data-testid="policy-column"]').count()).toBe(5);
    expect(await page.locator('[data-testid="policy-column"]').first().getAttribute("title")).toContain(
      "98728c90-32c7-4049-8429-847dc0f4fe37",
    );
    expect(
      await page
        .locator('[data-testid="policy-cell"][data-policy="content-type"][data-result="fail"]')
        .count(),
    ).toBe(30);
    expect(await page.locator('[data-testid="policy-card-content-type"] .n').textContent()).toBe("30");
    await page.click('[data-testid="policy-card-expiration-set"]');
    expect(await page.locator('[data-testid="row"]').count()).toBe(12);
    await page.selectOption("#policy", "");

    // The enabled column: the one disabled secret says so.
    const headers = await page.locator("thead th").allTextContents();
    const enabledColumn = headers.indexOf("enabled");
    expect(enabledColumn).toBeGreaterThan(2);
    const enabledCell = async (i: number): Promise<string | null> => {
      const name = `app-${SECRET_STATES[i % SECRET_STATES.length]}-${i}`;
      await page.fill("#filter", name);
      const cell = page.locator("td:nth-child(2)", { hasText: new RegExp(`^${name}$`) });
      return page
        .locator('[data-testid="row"]', { has: cell })
        .locator("td")
        .nth(enabledColumn)
        .textContent();
    };
    expect(await enabledCell(9)).toBe("no");
    expect(await enabledCell(10)).toBe("yes");
    await page.fill("#filter", "");

    const shot = await page.locator('[data-testid="timeline"]').screenshot();
    const dir = path.resolve(".local", "test-artifacts");
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "report-timeline.png"), shot);
    await page.screenshot({ path: path.join(dir, "report.png"), fullPage: false });
    const png = PNG.sync.read(shot);
    let colored = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, g, b] = [png.data[i] as number, png.data[i + 1] as number, png.data[i + 2] as number];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colored += 1;
    }
    // The bars are drawn in the states' colours: a real share of the chart is coloured.
    expect(colored / (png.width * png.height)).toBeGreaterThan(0.02);
    await page.close();
  });

  it("a real sweep's page shows the vault's posture and the policy columns, and no secret value", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url.replace("/report.html", "/swept.html"));
    expect(errors).toEqual([]);
    const failing = page.locator('[data-testid="posture-check"][data-status="fail"]');
    expect(await page.locator('[data-testid="posture-check"]').count()).toBe(7);
    expect(await failing.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-check")))).toEqual([
      "purge-protection",
    ]);
    expect(await page.locator('[data-testid="policy-column"]').count()).toBe(5);
    expect(await page.locator('[data-testid="row"]').count()).toBe(3);
    expect(await page.locator('[data-testid="policy-cell"][data-result="fail"]').count()).toBeGreaterThan(0);
    // What the page rendered (markup and text), in every encoding a leak could take.
    const rendered = `${await page.content()}\n${await page.locator("body").innerText()}`;
    for (const v of swept.values) for (const f of encodingsOf(v)) expect(rendered, f).not.toContain(f);
    await page.close();
  });
});
