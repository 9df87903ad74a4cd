import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import os from "node:os";
import path from "node:path";
import type { HttpRequest, InvocationContext, Timer } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionDefinition } from "../../../functions/functionDefinition.js";
import { DevHost } from "../../../local/host/devHost.js";
import { ensureHostKeys, type HostKeys } from "../../../local/host/hostKeys.js";
import { loadFunctions } from "../../../local/host/loadFunctions.js";

let host: DevHost;
let keys: HostKeys;
let dir: string;
const seen: { fn: string; input: unknown }[] = [];
const logs: string[] = [];

/** Test functions: the host is generic, so these exercise its conventions without the product behind them. */
const functions: FunctionDefinition[] = [
  {
    name: "echo",
    trigger: "http",
    options: {
      methods: ["POST"],
      route: "things/{id}/echo",
      authLevel: "function",
      handler: async (req: HttpRequest) => ({
        status: 201,
        jsonBody: { id: req.params.id, q: req.query.get("q"), body: await req.text() },
      }),
    },
  },
  {
    name: "open",
    trigger: "http",
    options: { methods: ["GET"], route: "open", authLevel: "anonymous", handler: () => ({ body: "hi" }) },
  },
  {
    name: "boom",
    trigger: "http",
    options: {
      methods: ["GET"],
      route: "boom",
      authLevel: "anonymous",
      handler: () => Promise.reject(new Error("kaput")),
    },
  },
  {
    name: "onEvent",
    trigger: "eventGrid",
    options: {
      handler: (event: unknown, ctx: InvocationContext) => {
        seen.push({ fn: "onEvent", input: event });
        ctx.log("got one");
        if ((event as { fail?: boolean }).fail) throw new Error("retry me");
      },
    },
  },
  {
    name: "tick",
    trigger: "timer",
    options: {
      schedule: "%TICK_SCHEDULE%",
      handler: (timer: Timer) => void seen.push({ fn: "tick", input: timer }),
    },
  },
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "devhost-"));
  keys = await ensureHostKeys(dir);
  host = await new DevHost({
    port: 0,
    keys,
    functions,
    setting: (n) => (n === "TICK_SCHEDULE" ? "0 0 3 * * *" : undefined),
    onLog: (fn, level, m) => logs.push(`${fn}:${level}:${m}`),
  }).start();
});
afterAll(async () => {
  await host.stop();
  await rm(dir, { recursive: true, force: true });
});

const post = (p: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${host.url}${p}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("dev host: the Functions host's conventions on loopback", () => {
  it("keeps its keys: made once, the same on the next load", async () => {
    expect(await ensureHostKeys(dir)).toEqual(keys);
    expect(keys.functionKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("serves /api/<route> with route params and query, behind the function key (header or ?code=)", async () => {
    expect((await post("/api/things/7/echo", "x")).status).toBe(401);
    expect((await post("/api/things/7/echo", "x", { "x-functions-key": "wrong" })).status).toBe(401);
    const ok = await post("/api/things/7/echo?q=1", "hello", { "x-functions-key": keys.functionKey });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ id: "7", q: "1", body: "hello" });
    expect((await post(`/api/things/8/echo?code=${keys.functionKey}`, "x")).status).toBe(201);
    expect((await fetch(`${host.url}/api/open`)).status).toBe(200);
  });

  it("answers 404 for no route, 405 for a wrong method, 500 when a handler throws", async () => {
    expect((await fetch(`${host.url}/api/nothing`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/things/1/echo`)).status).toBe(405);
    expect((await fetch(`${host.url}/api/boom`)).status).toBe(500);
    expect(logs.some((l) => l.startsWith("boom:error:failed: kaput"))).toBe(true);
  });

  it("decodes route parameters once, and leaves an escape that is not one as it is (never a 500)", async () => {
    const echo = async (segment: string): Promise<unknown> => {
      const res = await post(`/api/things/${segment}/echo`, "", { "x-functions-key": keys.functionKey });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: unknown }).id;
    };
    expect(await echo("%2568x")).toBe("%68x");
    expect(await echo("%zz")).toBe("%zz");
    expect(await echo("a%20b")).toBe("a b");
  });

  it("answers a CONNECT request (405) instead of dropping the connection, and 413 beyond the body limit", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(host.url).port), "127.0.0.1", () =>
        socket.write("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
      );
      let text = "";
      socket.on("data", (d) => (text += d.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 405 /);
    const small = await new DevHost({
      port: 0,
      keys,
      functions,
      setting: () => undefined,
      maxBodyBytes: 1024,
    }).start();
    try {
      const res = await fetch(`${small.url}/api/things/1/echo`, {
        method: "POST",
        headers: { "x-functions-key": keys.functionKey },
        body: "x".repeat(4096),
      });
      expect(res.status).toBe(413);
    } finally {
      await small.stop();
    }
  });

  it("answers Event Grid's handshakes on the webhook, behind the extension key", async () => {
    const url = host.webhookUrl("onEvent").replace(host.url, "");
    expect((await post(url.replace(/code=[^&]+/, "code=nope"), [])).status).toBe(401);
    const validation = await post(
      url,
      [
        {
          id: "v",
          eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
          data: { validationCode: "abc" },
        },
      ],
      { "aeg-event-type": "SubscriptionValidation" },
    );
    expect(await validation.json()).toEqual({ validationResponse: "abc" });
    const options = await fetch(`${host.url}${url}`, {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "eventgrid.azure.net" },
    });
    expect(options.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
    expect(seen).toHaveLength(0);
  });

  it("invokes the function once per event of a batch; a failure answers 500 so Event Grid retries", async () => {
    const url = host.webhookUrl("onEvent").replace(host.url, "");
    const batch = await post(url, [{ id: "1" }, { id: "2" }], { "aeg-event-type": "Notification" });
    expect(batch.status).toBe(200);
    expect(seen.map((s) => (s.input as { id: string }).id)).toEqual(["1", "2"]);
    const single = await post(url, { specversion: "1.0", id: "3" }, { "aeg-event-type": "Notification" });
    expect(single.status).toBe(200);
    expect((await post(url, [{ id: "4", fail: true }], { "aeg-event-type": "Notification" })).status).toBe(
      500,
    );
    expect((await post(url, "{not json", { "aeg-event-type": "Notification" })).status).toBe(400);
    expect((await post(url, [], { "aeg-event-type": "Notification" })).status).toBe(400);
    expect((await post(host.webhookUrl("nope").replace(host.url, ""), [{ id: "5" }])).status).toBe(404);
  });

  it("runs a timer now through the admin endpoint with the master key only", async () => {
    expect((await post("/admin/functions/tick", {}, { "x-functions-key": keys.functionKey })).status).toBe(
      401,
    );
    expect((await post("/admin/functions/tick", {}, { "x-functions-key": keys.masterKey })).status).toBe(202);
    const tick = seen.find((s) => s.fn === "tick")?.input as Timer;
    expect(tick.isPastDue).toBe(false);
    expect(Date.parse(tick.scheduleStatus.next)).toBeGreaterThan(Date.now());
    expect((await post("/admin/functions/echo", {}, { "x-functions-key": keys.masterKey })).status).toBe(404);
  });

  it("says which app setting a timer schedule misses", () => {
    const bare = new DevHost({ keys, functions, setting: () => undefined });
    expect(() =>
      bare.timerSchedule(functions[4] as Extract<FunctionDefinition, { trigger: "timer" }>),
    ).toThrow(/app setting TICK_SCHEDULE/);
  });

  it("finds the app's own functions as the Functions host indexes them", async () => {
    const found = await loadFunctions();
    expect(found.map((f) => `${f.name}:${f.trigger}`).sort()).toEqual([
      "complianceReport:http",
      "complianceSweep:timer",
      "resumeRotations:timer",
      "rotateSecret:http",
      "scheduledRotations:timer",
      "secretNearExpiry:eventGrid",
    ]);
  });
});
