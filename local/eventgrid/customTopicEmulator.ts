import { appendFile, mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { timingSafeEqual } from "node:crypto";
import { listenOnLoopback, type ListeningServer } from "../net/loopbackServer.js";
import { ensureLocalCertificate } from "../tls/localCertificate.js";

/** A CloudEvents 1.0 event as the topic received it. */
export interface ReceivedCloudEvent {
  specversion: string;
  id: string;
  type: string;
  source: string;
  subject?: string;
  time?: string;
  data?: unknown;
  [attribute: string]: unknown;
}

export interface CustomTopicOptions {
  port?: number;
  certDir?: string;
  /** The topic's access key, checked against `aeg-sas-key`. */
  key: string;
  /** Append every accepted event to this JSON-lines file (`.local/audit.jsonl` for npm start). */
  file?: string;
  /** Answers `GET|POST /_emulator/...` on the same port (the Event Grid emulator's admin endpoint). */
  admin?: (method: string, url: URL) => { status: number; body: unknown };
}

/**
 * An Event Grid custom topic for CloudEvents on loopback over HTTPS: `POST /api/events` with
 * `aeg-sas-key`, the batch content type `application/cloudevents-batch+json`, each event checked for the
 * required CloudEvents attributes. Accepted events are kept in memory (and optionally in a file), and can
 * be made to fail on demand so the audit outbox can be tested.
 */
export class CustomTopicEmulator {
  readonly events: ReceivedCloudEvent[] = [];
  private server: Server | undefined;
  private endpointUrl = "";
  private caPath = "";
  private failures: { remaining: number; status: number }[] = [];
  private down = false;
  private readonly listeners = new Set<(e: ReceivedCloudEvent) => void>();
  private listening: ListeningServer | undefined;

  constructor(private readonly options: CustomTopicOptions) {}

  get endpoint(): string {
    return this.endpointUrl;
  }

  get adminUrl(): string {
    return this.endpointUrl.replace(/\/api\/events$/, "/_emulator");
  }

  get caCertPath(): string {
    return this.caPath;
  }

  /** While down, every publish gets 503 (the topic is unreachable for the app). */
  setDown(down: boolean): void {
    this.down = down;
  }

  failNext(count: number, status = 503): void {
    this.failures.push({ remaining: count, status });
  }

  onEvent(listener: (e: ReceivedCloudEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<this> {
    const tls = await ensureLocalCertificate(this.options.certDir ?? path.resolve(".local", "tls"));
    this.caPath = tls.caCertPath;
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      this.handle(req, res).catch((error: unknown) =>
        reply(res, 500, { error: { code: "InternalServerError", message: String(error) } }),
      );
    });
    this.listening = await listenOnLoopback(server, this.options.port ?? 0);
    this.server = server;
    this.endpointUrl = `https://127.0.0.1:${this.listening.port}/api/events`;
    return this;
  }

  async stop(): Promise<void> {
    this.server = undefined;
    await this.listening?.stop();
    this.listening = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    if (this.options.admin && (url.pathname === "/_emulator" || url.pathname.startsWith("/_emulator/"))) {
      const answer = this.options.admin(req.method ?? "GET", url);
      reply(res, answer.status, answer.body);
      return;
    }
    if (req.method !== "POST" || url.pathname !== "/api/events") {
      reply(res, 404, { error: { code: "NotFound", message: "This topic takes POST /api/events." } });
      return;
    }
    const body = await readBody(req);
    if (!this.authorised(req.headers["aeg-sas-key"])) {
      reply(res, 401, {
        error: {
          code: "Unauthorized",
          message: "The request authorization key is not authorized for this topic.",
        },
      });
      return;
    }
    if (this.down) {
      reply(res, 503, { error: { code: "ServiceUnavailable", message: "The topic is down (emulated)." } });
      return;
    }
    const failure = this.failures[0];
    if (failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) this.failures.shift();
      reply(res, failure.status, {
        error: { code: "InjectedFault", message: "Injected failure (emulated)." },
      });
      return;
    }
    const contentType = String(req.headers["content-type"] ?? "");
    if (!/^application\/cloudevents-batch\+json/i.test(contentType)) {
      reply(res, 400, {
        error: {
          code: "BadRequest",
          message: `This topic takes CloudEvents batches (application/cloudevents-batch+json), not '${contentType}'.`,
        },
      });
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      reply(res, 400, { error: { code: "BadRequest", message: "The request body is not JSON." } });
      return;
    }
    const problem = validateBatch(parsed);
    if (problem) {
      reply(res, 400, { error: { code: "BadRequest", message: problem } });
      return;
    }
    const events = parsed as ReceivedCloudEvent[];
    if (this.options.file) {
      await mkdir(path.dirname(this.options.file), { recursive: true });
      await appendFile(this.options.file, events.map((e) => `${JSON.stringify(e)}\n`).join(""));
    }
    for (const e of events) {
      this.events.push(e);
      for (const l of this.listeners) l(e);
    }
    reply(res, 200, undefined);
  }

  private authorised(header: string | string[] | undefined): boolean {
    if (typeof header !== "string") return false;
    const given = Buffer.from(header);
    const expected = Buffer.from(this.options.key);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

function validateBatch(parsed: unknown): string | undefined {
  if (!Array.isArray(parsed) || parsed.length === 0)
    return "The body must be a non-empty array of CloudEvents.";
  for (const [i, e] of parsed.entries()) {
    if (typeof e !== "object" || e === null) return `Event ${i} is not an object.`;
    const ev = e as Record<string, unknown>;
    for (const attr of ["id", "source", "type", "specversion"]) {
      if (typeof ev[attr] !== "string" || ev[attr] === "")
        return `Event ${i} lacks the required CloudEvents attribute '${attr}'.`;
    }
    if (ev.specversion !== "1.0")
      return `Event ${i} has specversion '${String(ev.specversion)}'; only 1.0 is accepted.`;
  }
  return undefined;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
