import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { readLatestReport } from "../src/sweep/reportStore.js";
import { checkRole } from "../src/triggers/clientPrincipal.js";
import { problem } from "../src/triggers/problemDetails.js";
import { register } from "./functionDefinition.js";
import { startedApp } from "./startedApp.js";

const PAGE_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/** `GET /api/compliance[?format=json|html]`: the latest compliance report the sweep stored. */
export async function complianceReport(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const format = request.query.get("format") ?? "json";
  if (format !== "json" && format !== "html")
    return problem(400, "Bad request", `format must be json or html, not '${format.slice(0, 20)}'`);
  const { app, answer } = await startedApp(context);
  if (!app) return answer;
  // HTTP_REQUIRED_ROLE guards the whole HTTP API: the report names owners, failures and consumers.
  const role = checkRole(request.headers.get("x-ms-client-principal"), app.config.httpRequiredRole);
  if (!role.ok) return problem(role.status, role.status === 401 ? "Unauthorized" : "Forbidden", role.detail);
  const body = await readLatestReport(app.container, format);
  if (!body)
    return problem(
      404,
      "No report yet",
      "the compliance sweep has not stored a report yet; it runs on SWEEP_SCHEDULE",
    );
  return {
    status: 200,
    headers:
      format === "json"
        ? { "content-type": "application/json", "cache-control": "no-store" }
        : {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "no-store",
            "content-security-policy": PAGE_POLICY,
          },
    body,
  };
}

export const complianceReportFunction = register({
  name: "complianceReport",
  trigger: "http",
  options: { methods: ["GET"], route: "compliance", authLevel: "function", handler: complianceReport },
});
