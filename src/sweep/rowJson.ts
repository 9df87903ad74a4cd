import type { ReportRow } from "./complianceReport.js";

let lastRow: ReportRow | undefined;
let lastJson = "";

/**
 * A report row as JSON, serialised once for every writer: the sweep hands the same row object to each writer
 * in turn (latest JSON, HTML, dated JSON), so the last row's text is kept and reused. A sweep of 100,000
 * secrets would otherwise stringify each row once per writer.
 */
export function rowJson(row: ReportRow): string {
  if (row !== lastRow) {
    lastJson = JSON.stringify(row);
    lastRow = row;
  }
  return lastJson;
}
