import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

/** A loopback webhook that records what it is sent and answers with the statuses it is told to. */
export class WebhookRecorder {
  readonly requests: RecordedRequest[] = [];
  private server: Server | undefined;
  private statuses: number[] = [];
  url = "";
  /** Echo the validation code (Event Grid schema handshake) and CloudEvents OPTIONS. */
  handshake = true;
  delayMs = 0;

  answerNext(...statuses: number[]): void {
    this.statuses.push(...statuses);
  }

  notifications(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === "POST" && r.headers["aeg-event-type"] === "Notification");
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const body: unknown = text ? JSON.parse(text) : undefined;
        this.requests.push({ method: req.method ?? "", headers: req.headers, body });
        if (req.method === "OPTIONS") {
          res
            .writeHead(
              200,
              this.handshake
                ? { "WebHook-Allowed-Origin": String(req.headers["webhook-request-origin"]) }
                : {},
            )
            .end();
          return;
        }
        if (req.headers["aeg-event-type"] === "SubscriptionValidation") {
          const code = (body as { data: { validationCode: string } }[])[0]?.data.validationCode;
          res
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify(this.handshake ? { validationResponse: code } : {}));
          return;
        }
        setTimeout(() => res.writeHead(this.statuses.shift() ?? 200).end(), this.delayMs);
      });
    });
    await new Promise<void>((r) => (this.server as Server).listen(0, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${((this.server as Server).address() as AddressInfo).port}/hook`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}
