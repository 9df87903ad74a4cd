import { PassThrough } from "node:stream";
import type { ContainerClient } from "@azure/storage-blob";
import type { ReportWriter } from "./complianceReport.js";
import { HtmlReportWriter } from "./htmlReportWriter.js";
import { JsonReportWriter } from "./jsonReportWriter.js";

export const LATEST_JSON = "reports/latest.json";
export const LATEST_HTML = "reports/latest.html";

export interface ReportUploads {
  writers: ReportWriter[];
  /** Resolves when every upload is committed (block blobs replace the old report atomically on commit). */
  done: Promise<void>;
  names: string[];
}

/** Writers that stream the report into blobs: latest JSON and HTML, and a dated JSON copy for history. */
export function reportUploads(container: ContainerClient, generatedAt: Date): ReportUploads {
  const dated = `reports/history/${generatedAt.toISOString().replace(/[:.]/g, "-")}.json`;
  const targets: [string, "json" | "html"][] = [
    [LATEST_JSON, "json"],
    [LATEST_HTML, "html"],
    [dated, "json"],
  ];
  const writers: ReportWriter[] = [];
  const uploads: Promise<unknown>[] = [];
  for (const [name, kind] of targets) {
    const stream = new PassThrough();
    uploads.push(
      container.getBlockBlobClient(name).uploadStream(stream, 1024 * 1024, 2, {
        blobHTTPHeaders: {
          blobContentType: kind === "json" ? "application/json" : "text/html; charset=utf-8",
        },
      }),
    );
    writers.push(kind === "json" ? new JsonReportWriter(stream) : new HtmlReportWriter(stream));
  }
  return { writers, done: Promise.all(uploads).then(() => undefined), names: targets.map(([n]) => n) };
}

/** The latest stored report, or undefined before the first sweep. */
export async function readLatestReport(
  container: ContainerClient,
  format: "json" | "html",
): Promise<Buffer | undefined> {
  try {
    return await container
      .getBlockBlobClient(format === "json" ? LATEST_JSON : LATEST_HTML)
      .downloadToBuffer();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}
