import { gunzipSync } from "node:zlib";
import { serveHttps } from "../../local/net/httpsEmulator.js";
import { TEST_CERT_DIR } from "./keyVaultFixture.js";

/** One Application Insights envelope as the exporter sends it (Breeze `track` schema). */
export interface Envelope {
  name: string;
  tags?: Record<string, string>;
  data?: { baseType?: string; baseData?: Record<string, unknown> };
}

/**
 * A loopback Application Insights ingestion endpoint (`POST /v2.1/track`) that records every envelope it is
 * sent, gzip or not, and accepts them all, as the real one answers: `{itemsReceived, itemsAccepted, errors}`.
 */
export async function startIngestionRecorder(): Promise<{
  url: string;
  envelopes: Envelope[];
  raw: string[];
  stop(): Promise<void>;
}> {
  const envelopes: Envelope[] = [];
  const raw: string[] = [];
  const { url, listening } = await serveHttps(
    { certDir: TEST_CERT_DIR },
    async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const text = body.toString("utf8");
      raw.push(`${req.method} ${req.url}\n${text}`);
      let received = 0;
      if (req.method === "POST" && text.trim().startsWith("[")) {
        const items = JSON.parse(text) as Envelope[];
        envelopes.push(...items);
        received = items.length;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ itemsReceived: received, itemsAccepted: received, errors: [] }));
    },
    (res, error) => {
      res.writeHead(500);
      res.end(error.message);
    },
  );
  return { url, envelopes, raw, stop: () => listening.stop() };
}
