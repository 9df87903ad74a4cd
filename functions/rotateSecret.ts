import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { checkRole } from "../src/triggers/clientPrincipal.js";
import { outcomeResponse } from "../src/triggers/outcomeResponse.js";
import { problem } from "../src/triggers/problemDetails.js";
import { MAX_ROTATE_BODY_BYTES, parseRotateRequest } from "../src/triggers/rotateRequest.js";
import { register } from "./functionDefinition.js";
import { startedApp } from "./startedApp.js";

const TITLES = { 400: "Bad request", 413: "Content too large", 415: "Unsupported media type" } as const;

/** `POST /api/secrets/{name}/rotate`: on-demand rotation. Body or query: `vault`, `dryRun`, `force`. */
export async function rotateSecret(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const { app, answer } = await startedApp(context);
  if (!app) return answer;
  const role = checkRole(request.headers.get("x-ms-client-principal"), app.config.httpRequiredRole);
  if (!role.ok) return problem(role.status, role.status === 401 ? "Unauthorized" : "Forbidden", role.detail);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_ROTATE_BODY_BYTES)
    return problem(413, TITLES[413], `the body is larger than ${MAX_ROTATE_BODY_BYTES} bytes`);
  const parsed = parseRotateRequest(app.config, {
    name: request.params.name,
    url: request.url,
    contentType: request.headers.get("content-type"),
    body: await request.text(),
  });
  if (!parsed.ok) return problem(parsed.status, TITLES[parsed.status], parsed.detail);
  const { vault, secret, dryRun, force } = parsed.value;
  const outcome = await app.engine.rotate({ vault: vault.name, secret, trigger: "http", dryRun, force });
  context.log(`rotate ${vault.name}/${secret}${dryRun ? " (dry run)" : ""}: ${outcome.status}`);
  return outcomeResponse(outcome);
}

export const rotateSecretFunction = register({
  name: "rotateSecret",
  trigger: "http",
  options: {
    methods: ["POST"],
    route: "secrets/{name}/rotate",
    authLevel: "function",
    handler: rotateSecret,
  },
});
