import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  REPORT_SCHEMA,
  REPORT_SCHEMA_VERSION,
  type ReportHeader,
  type ReportRow,
} from "../../src/sweep/complianceReport.js";
import { HtmlReportWriter } from "../../src/sweep/htmlReportWriter.js";
import { JsonReportWriter } from "../../src/sweep/jsonReportWriter.js";

const header: ReportHeader = {
  schema: REPORT_SCHEMA,
  schemaVersion: REPORT_SCHEMA_VERSION,
  generatedAt: "2026-01-01T00:00:00.000Z",
  trigger: "sweep",
  rotate: false,
  dryRun: false,
  vaults: [{ name: "kv", url: "https://kv.vault.azure.net" }],
  settings: { rotateBeforeExpiryDays: 30, defaultValidityDays: 60 },
};

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString("utf8");
}

/** The writers share one serialisation of each row (rowJson); the HTML one must still make it script-safe. */
describe("report writers fed the same rows", () => {
  it("write the same rows, and the HTML page escapes what would end its script element", async () => {
    const [jsonStream, htmlStream] = [new PassThrough(), new PassThrough()];
    const [jsonText, htmlText] = [collect(jsonStream), collect(htmlStream)];
    const writers = [new JsonReportWriter(jsonStream), new HtmlReportWriter(htmlStream)];
    for (const w of writers) await w.start(header);
    const rows: ReportRow[] = [
      { vault: "kv", secret: "plain", state: "unmanaged", detail: "ok", enabled: true, action: "none" },
      {
        vault: "kv",
        secret: "</script><img src=x onerror=alert(1)>",
        state: "unmanaged",
        detail: "line\u2028and\u2029paragraph",
        enabled: true,
        action: "none",
      },
    ];
    for (const row of rows) for (const w of writers) w.row(row);
    const summary = {
      total: 2,
      byState: {},
      rotated: 0,
      failed: 0,
      wouldRotate: 0,
      openRotations: [],
      throttled: 0,
      durationMs: 1,
      completedAt: "2026-01-01T00:00:01.000Z",
    } as unknown as Parameters<JsonReportWriter["end"]>[0];
    for (const w of writers) await w.end(summary);

    expect((JSON.parse(jsonText()) as { secrets: ReportRow[] }).secrets).toEqual(rows);
    const html = htmlText();
    expect(html).not.toContain("</script><img");
    expect(html).not.toMatch(/[\u2028\u2029]/);
    const rowsJson = /<script type="application\/json" id="rows">([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(JSON.parse(rowsJson ?? "null")).toEqual(rows);
  });
});
