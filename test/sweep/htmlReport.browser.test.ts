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

const DAY = 86_400_000;
let browser: Browser;
/** The browser comes from the npm registry (devDependency @sparticuz/chromium): no system Chromium needed. */
let npmChromium: NpmChromium | undefined;
let server: Server;
let url = "";
let html = "";
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
    durationMs: 1234,
    completedAt: new Date(now).toISOString(),
  };
  await writer.end(summary);
  return Buffer.concat(chunks).toString("utf8");
}

beforeAll(async () => {
  html = await buildReport();
  server = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html),
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
    // The enabled column: the one disabled secret says so.
    expect(await page.locator("thead th").allTextContents()).toContain("enabled");
    const enabledCell = async (i: number): Promise<string | null> => {
      const name = `app-${SECRET_STATES[i % SECRET_STATES.length]}-${i}`;
      await page.fill("#filter", name);
      const cell = page.locator("td:nth-child(2)", { hasText: new RegExp(`^${name}$`) });
      return page.locator('[data-testid="row"]', { has: cell }).locator("td").nth(3).textContent();
    };
    expect(await enabledCell(9)).toBe("no");
    expect(await enabledCell(10)).toBe("yes");

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
});
