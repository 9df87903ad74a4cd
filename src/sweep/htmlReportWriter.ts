import type { Writable } from "node:stream";
import type { ReportHeader, ReportRow, ReportSummary, ReportWriter } from "./complianceReport.js";
import { REPORT_PAGE_HEAD, REPORT_PAGE_SCRIPT } from "./reportPage.js";
import { rowJson } from "./rowJson.js";
import { scriptSafe, scriptSafeJson, StreamSink } from "./streamSink.js";

/** The report as one self-contained HTML page (summary, expiry timeline chart, filterable table), streamed. */
export class HtmlReportWriter implements ReportWriter {
  private readonly sink: StreamSink;
  private first = true;

  constructor(stream: Writable) {
    this.sink = new StreamSink(stream);
  }

  async start(header: ReportHeader): Promise<void> {
    await this.sink.write(REPORT_PAGE_HEAD);
    await this.sink.write(
      `<script type="application/json" id="header">${scriptSafeJson(header)}</script>\n<script type="application/json" id="rows">[`,
    );
  }

  row(row: ReportRow): void {
    this.sink.push(`${this.first ? "" : ",\n"}${scriptSafe(rowJson(row))}`);
    this.first = false;
  }

  flush(): Promise<void> {
    return this.sink.flush(64 * 1024);
  }

  async end(summary: ReportSummary): Promise<void> {
    await this.sink.write(
      `]</script>\n<script type="application/json" id="summary">${scriptSafeJson(summary)}</script>\n<script>${REPORT_PAGE_SCRIPT}</script>\n</body>\n</html>\n`,
    );
    await this.sink.close();
  }
}
