import { HttpRequest, InvocationContext } from "@azure/functions";
import { resetRotatorApp } from "../../src/runtime.js";

/** Points the functions' shared app at a stack's settings (as app settings would), fresh each time. */
export function useSettings(
  env: Record<string, string>,
  extra: Record<string, string | undefined> = {},
): void {
  for (const [k, v] of Object.entries({ ...env, ...extra })) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetRotatorApp();
}

export interface CapturedContext {
  context: InvocationContext;
  logs: { level: string; text: string }[];
}

export function invocation(functionName: string): CapturedContext {
  const logs: { level: string; text: string }[] = [];
  const context = new InvocationContext({
    functionName,
    invocationId: `test-${Math.random().toString(36).slice(2)}`,
    logHandler: (level, ...args) => logs.push({ level, text: args.map(String).join(" ") }),
  });
  return { context, logs };
}

export function rotateRequest(
  name: string,
  init: {
    body?: unknown;
    rawBody?: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    /** A raw query string (`?a=1&a=2`) instead of `query`. */
    url?: string;
  } = {},
): HttpRequest {
  const query = init.url ?? (init.query ? `?${new URLSearchParams(init.query).toString()}` : "");
  return new HttpRequest({
    method: "POST",
    url: `http://127.0.0.1:7071/api/secrets/${encodeURIComponent(name)}/rotate${query}`,
    params: { name },
    ...(init.query ? { query: init.query } : {}),
    headers: { "content-type": "application/json", ...(init.headers ?? {}) },
    body: { string: init.rawBody ?? (init.body === undefined ? "" : JSON.stringify(init.body)) },
  });
}

export function principalHeader(roles: string[]): string {
  return Buffer.from(
    JSON.stringify({
      auth_typ: "aad",
      name_typ: "name",
      role_typ: "roles",
      claims: [{ typ: "name", val: "caller" }, ...roles.map((r) => ({ typ: "roles", val: r }))],
    }),
  ).toString("base64");
}
