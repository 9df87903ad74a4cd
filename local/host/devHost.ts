import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { Duplex } from "node:stream";
import functionsPackage from "@azure/functions";
import type { HttpResponseInit, LogLevel, Timer } from "@azure/functions";
import { Cron } from "croner";
import type { FunctionDefinition } from "../../functions/functionDefinition.js";
import { listenOnLoopback, type ListeningServer } from "../net/loopbackServer.js";
import type { HostKeys } from "./hostKeys.js";

export interface DevHostOptions {
  port?: number;
  keys: HostKeys;
  functions: FunctionDefinition[];
  /** Resolves `%NAME%` in timer schedules, as the Functions host resolves app settings. */
  setting: (name: string) => string | undefined;
  onLog?: (functionName: string, level: LogLevel, message: string) => void;
  /** Start timers on their schedules (npm start); tests trigger them through the admin endpoint instead. */
  runTimers?: boolean;
  /** Request bodies beyond this get 413 (the Functions host's limit, 100 MB, by default; tests: small). */
  maxBodyBytes?: number;
}

interface HttpRoute {
  def: Extract<FunctionDefinition, { trigger: "http" }>;
  pattern: RegExp;
  params: string[];
}

// @azure/functions is CommonJS; Node's ESM loader sees only its default export.
const { HttpRequest, HttpResponse, InvocationContext } = functionsPackage;
type InvocationContext = InstanceType<typeof InvocationContext>;
type HttpResponse = InstanceType<typeof HttpResponse>;

/** The Functions host's request length limit (100 MB, "Azure Functions HTTP trigger" docs, Limits); 413 beyond. */
const MAX_BODY = 100 * 1024 * 1024;

class BodyTooLarge extends Error {}

/**
 * Serves the app's functions on loopback the way the Functions host does: `/api/<route>` with function
 * keys (`x-functions-key` or `?code=`), `/runtime/webhooks/eventgrid?functionName=<name>` with the
 * Event Grid extension's key and the subscription handshakes, timers on NCRONTAB schedules, and
 * `POST /admin/functions/<name>` (master key) to run a non-HTTP function now.
 */
export class DevHost {
  private server: Server | undefined;
  private readonly routes: HttpRoute[];
  private readonly crons: Cron[] = [];
  private listening: ListeningServer | undefined;
  private baseUrl = "";

  constructor(private readonly options: DevHostOptions) {
    this.routes = options.functions.flatMap((def) => (def.trigger === "http" ? [compileRoute(def)] : []));
  }

  get url(): string {
    return this.baseUrl;
  }

  webhookUrl(functionName: string): string {
    return `${this.baseUrl}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(functionName)}&code=${this.options.keys.eventGridKey}`;
  }

  timerSchedule(def: Extract<FunctionDefinition, { trigger: "timer" }>): string {
    const raw = String(def.options.schedule);
    const resolved = raw.replace(/%([A-Za-z0-9_]+)%/g, (_m, name: string) => {
      const value = this.options.setting(name);
      if (!value)
        throw new Error(`timer ${def.name}: app setting ${name} (in its schedule ${raw}) is not set`);
      return value;
    });
    return resolved;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (error instanceof BodyTooLarge) {
          if (!res.headersSent) send(res, 413, undefined);
          req.resume();
          return;
        }
        this.options.onLog?.("host", "error", `unhandled: ${String((error as Error)?.stack ?? error)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    // Node drops a CONNECT (or Upgrade) request's socket when no one listens for it; the host answers it.
    const refuse = (_req: IncomingMessage, socket: Duplex): void => {
      socket.end("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    };
    server.on("connect", refuse);
    server.on("upgrade", refuse);
    this.listening = await listenOnLoopback(server, this.options.port ?? 7071);
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${this.listening.port}`;
    if (this.options.runTimers) {
      for (const def of this.options.functions) {
        if (def.trigger !== "timer") continue;
        const cron = new Cron(this.timerSchedule(def), { protect: true }, async () => {
          await this.invokeTimer(def, false);
        });
        this.crons.push(cron);
      }
    }
    return this;
  }

  async stop(): Promise<void> {
    for (const c of this.crons) c.stop();
    this.server = undefined;
    await this.listening?.stop();
    this.listening = undefined;
  }

  /** Runs a timer function now (what `POST /admin/functions/<name>` does). */
  async invokeTimer(
    def: Extract<FunctionDefinition, { trigger: "timer" }>,
    isPastDue: boolean,
  ): Promise<void> {
    const cron = new Cron(this.timerSchedule(def));
    const timer: Timer = {
      isPastDue,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: new Date().toISOString(),
        next: cron.nextRun()?.toISOString() ?? "",
        lastUpdated: new Date().toISOString(),
      },
    };
    try {
      await def.options.handler(timer, this.context(def.name));
    } catch (error) {
      this.options.onLog?.(def.name, "error", `failed: ${String((error as Error).message ?? error)}`);
    }
  }

  private context(functionName: string): InvocationContext {
    return new InvocationContext({
      functionName,
      invocationId: randomUUID(),
      logHandler: (level, ...args) =>
        this.options.onLog?.(
          functionName,
          level,
          args.map((a) => (typeof a === "string" ? a : String(a))).join(" "),
        ),
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    const method = req.method ?? "GET";
    if (url.pathname === "/admin/host/status")
      return send(res, 200, { state: "Running", functions: this.options.functions.map((f) => f.name) });
    if (url.pathname.startsWith("/admin/functions/")) return this.adminInvoke(req, res, url);
    if (url.pathname === "/runtime/webhooks/eventgrid") return this.eventGrid(req, res, url, method);
    if (url.pathname.startsWith("/api/")) return this.http(req, res, url, method);
    return send(res, 404, { error: "not found" });
  }

  private async http(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    // Routes match the path as received; parameters are decoded once, and an escape that is not one stays
    // as it is (ASP.NET Core's routing does both): never twice, so %2568 reaches the function as %68.
    const path = url.pathname.slice("/api/".length);
    const matches = this.routes.map((r) => ({ r, m: r.pattern.exec(path) })).filter((x) => x.m);
    const hit = matches.find((x) => (x.r.def.options.methods ?? ["GET", "POST"]).includes(method as never));
    if (!hit) return send(res, matches.length > 0 ? 405 : 404, undefined);
    const { def, params } = hit.r;
    if ((def.options.authLevel ?? "anonymous") !== "anonymous") {
      const given = String(req.headers["x-functions-key"] ?? url.searchParams.get("code") ?? "");
      if (!same(given, this.options.keys.functionKey) && !same(given, this.options.keys.masterKey))
        return send(res, 401, undefined);
    }
    const body = await readBody(req, this.options.maxBodyBytes);
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers: Object.fromEntries(
        Object.entries(req.headers).flatMap(([k, v]) =>
          v === undefined ? [] : [[k, Array.isArray(v) ? v.join(", ") : v]],
        ),
      ),
      query: Object.fromEntries(url.searchParams),
      params: Object.fromEntries(
        params.map((p, i) => [p, decodeOnce((hit.m as RegExpExecArray)[i + 1] ?? "")]),
      ),
      body: { bytes: body },
    });
    let result: HttpResponseInit | HttpResponse;
    try {
      result = (await def.options.handler(request, this.context(def.name))) ?? {};
    } catch (error) {
      this.options.onLog?.(def.name, "error", `failed: ${String((error as Error).message ?? error)}`);
      return send(res, 500, undefined);
    }
    await writeResult(res, result);
  }

  private async eventGrid(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
  ): Promise<void> {
    const def = this.options.functions.find(
      (f) => f.trigger === "eventGrid" && f.name === url.searchParams.get("functionName"),
    );
    if (!def || def.trigger !== "eventGrid")
      return send(res, 404, {
        error: `no Event Grid function '${url.searchParams.get("functionName") ?? ""}'`,
      });
    if (!same(url.searchParams.get("code") ?? "", this.options.keys.eventGridKey))
      return send(res, 401, undefined);
    if (method === "OPTIONS") {
      // CloudEvents webhook validation (abuse protection).
      res
        .writeHead(200, {
          "WebHook-Allowed-Origin": String(req.headers["webhook-request-origin"] ?? "*"),
          "WebHook-Allowed-Rate": "*",
        })
        .end();
      return;
    }
    if (method !== "POST") return send(res, 405, undefined);
    let payload: unknown;
    try {
      payload = JSON.parse((await readBody(req)).toString("utf8"));
    } catch {
      return send(res, 400, { error: "the body is not JSON" });
    }
    const events = Array.isArray(payload) ? payload : [payload];
    if (events.length === 0 || events.some((e) => typeof e !== "object" || e === null))
      return send(res, 400, { error: "the body must be an event or a non-empty array of events" });
    if (req.headers["aeg-event-type"] === "SubscriptionValidation") {
      const code = (events[0] as { data?: { validationCode?: unknown } }).data?.validationCode;
      if (typeof code !== "string")
        return send(res, 400, { error: "validation event without data.validationCode" });
      return send(res, 200, { validationResponse: code });
    }
    for (const event of events) {
      try {
        await def.options.handler(event, this.context(def.name));
      } catch (error) {
        this.options.onLog?.(
          def.name,
          "warning",
          `failed, Event Grid will retry: ${String((error as Error).message ?? error)}`,
        );
        return send(res, 500, undefined);
      }
    }
    return send(res, 200, undefined);
  }

  private async adminInvoke(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== "POST") return send(res, 405, undefined);
    if (!same(String(req.headers["x-functions-key"] ?? ""), this.options.keys.masterKey))
      return send(res, 401, undefined);
    const name = decodeOnce(url.pathname.slice("/admin/functions/".length));
    const def = this.options.functions.find((f) => f.name === name);
    if (!def || def.trigger !== "timer") return send(res, 404, { error: `no timer function '${name}'` });
    await readBody(req);
    await this.invokeTimer(def, false);
    return send(res, 202, undefined);
  }
}

function compileRoute(def: Extract<FunctionDefinition, { trigger: "http" }>): HttpRoute {
  const template = def.options.route ?? def.name;
  const params: string[] = [];
  const source = template
    .split("/")
    .map((seg) => {
      const m = /^\{([A-Za-z0-9_]+)(?::[a-z]+)?\??\}$/.exec(seg);
      if (m) {
        params.push(m[1] as string);
        return "([^/]+)";
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { def, pattern: new RegExp(`^${source}$`, "i"), params };
}

function decodeOnce(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function writeResult(res: ServerResponse, result: HttpResponseInit | HttpResponse): Promise<void> {
  if (result instanceof HttpResponse) {
    const headers = Object.fromEntries(result.headers.entries());
    const buffer = Buffer.from(await result.arrayBuffer());
    res.writeHead(result.status, headers).end(buffer);
    return;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries((result.headers ?? {}) as Record<string, string>))
    headers[k.toLowerCase()] = String(v);
  let body: Buffer;
  if (result.jsonBody !== undefined) {
    body = Buffer.from(JSON.stringify(result.jsonBody));
    headers["content-type"] ??= "application/json";
  } else if (typeof result.body === "string") body = Buffer.from(result.body);
  else if (result.body instanceof Uint8Array) body = Buffer.from(result.body);
  else body = Buffer.alloc(0);
  headers["content-length"] = String(body.length);
  res.writeHead(result.status ?? 200, headers).end(body);
}

async function readBody(req: IncomingMessage, max = MAX_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new BodyTooLarge("request body too large");
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
