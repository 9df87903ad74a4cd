import type { Writable } from "node:stream";
import type { ReportHeader, ReportRow, ReportSummary, ReportWriter } from "./complianceReport.js";
import { rowJson } from "./rowJson.js";
import { StreamSink } from "./streamSink.js";

/** The report as JSON, streamed: `{...header, "secrets": [rows...], "summary": {...}}`. */
export class JsonReportWriter implements ReportWriter {
  private readonly sink: StreamSink;
  private first = true;

  constructor(stream: Writable) {
    this.sink = new StreamSink(stream);
  }

  async start(header: ReportHeader): Promise<void> {
    const head = JSON.stringify(header);
    await this.sink.write(`${head.slice(0, -1)},"secrets":[`);
  }

  row(row: ReportRow): void {
    this.sink.push(`${this.first ? "\n" : ",\n"}${rowJson(row)}`);
    this.first = false;
  }

  flush(): Promise<void> {
    return this.sink.flush(64 * 1024);
  }

  async end(summary: ReportSummary): Promise<void> {
    await this.sink.write(`\n],"summary":${JSON.stringify(summary)}}\n`);
    await this.sink.close();
  }
}
