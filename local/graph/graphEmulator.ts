import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBearerToken } from "../keyvault/bearerToken.js";
import { readJsonBody, sendJson } from "../net/jsonHttp.js";
import { RecordEmulator } from "../net/httpsEmulator.js";

export interface PasswordCredential {
  keyId: string;
  displayName: string | null;
  hint: string;
  startDateTime: string;
  endDateTime: string;
  /** Kept so consumers (tests) can authenticate; Graph returns it only from addPassword. */
  secretText: string;
  /** When the token endpoint starts accepting it (after replication); absent: at once. */
  acceptedFrom?: string;
}

export interface Application {
  id: string;
  appId: string;
  displayName: string;
  passwordCredentials: PasswordCredential[];
}

export interface GraphEmulatorOptions {
  port?: number;
  certDir?: string;
  /** Keep the applications in a file here and load them on start (the local stack). */
  dataDir?: string;
  /**
   * How long a new client secret takes to work at the token endpoint. Entra ID replicates a new secret
   * before it is accepted: seconds, sometimes more (Microsoft Q&A and the azure-sdk issues report 4-18 s;
   * Graph's addPassword documentation says to allow for replication). 0 when absent.
   */
  secretPropagationMs?: number;
  /** Whether an identity may change an application's credentials (Application.ReadWrite.OwnedBy); all when absent. */
  authorize?: (identity: string, application: Application) => boolean;
}

const GRAPH_AUDIENCES = [
  "https://graph.microsoft.com",
  "https://graph.microsoft.com/",
  "00000003-0000-0000-c000-000000000000",
];
const ROUTE =
  /^\/v1\.0\/applications(?:\/([0-9a-f-]{36})|\(appId='([0-9a-f-]{36})'\))(?:\/(addPassword|removePassword))?$/i;

function graphError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, {
    error: { code, message, innerError: { date: new Date().toISOString(), "request-id": randomUUID() } },
  });
}

function view(app: Application): unknown {
  return {
    id: app.id,
    appId: app.appId,
    displayName: app.displayName,
    passwordCredentials: app.passwordCredentials.map(({ secretText: _, acceptedFrom: __, ...p }) => ({
      ...p,
      customKeyIdentifier: null,
      secretText: null,
    })),
  };
}

/**
 * Microsoft Graph on loopback over HTTPS, for what the entra-app-secret rotator calls: read an application
 * (by object id or `(appId='…')`), `addPassword` and `removePassword`, with Graph's error shapes and a bearer
 * token for the Graph audience. Secret texts come back from addPassword only, as from the service.
 */
export class GraphEmulator extends RecordEmulator<Application> {
  readonly applications = new Map<string, Application>();
  /** When false, the token endpoint refuses every client secret (a new secret not yet replicated, say). */
  acceptTokens = true;
  readonly requests: Array<{ method: string; path: string }> = [];

  constructor(private readonly options: GraphEmulatorOptions = {}) {
    super(options, {
      file: "graph.json",
      key: "applications",
      label: "Graph emulator",
      operations: ["addPassword", "removePassword", "getApplication", "token"],
    });
  }

  protected snapshot(): Application[] {
    return [...this.applications.values()];
  }

  protected restore(records: Application[]): void {
    for (const a of records) this.applications.set(a.id, a);
  }

  protected internalError(res: ServerResponse, error: Error): void {
    graphError(res, 500, "generalException", error.message);
  }

  addApplication(displayName: string): Application {
    const app: Application = { id: randomUUID(), appId: randomUUID(), displayName, passwordCredentials: [] };
    this.applications.set(app.id, app);
    this.changed();
    return app;
  }

  /** Fault operations: `addPassword`, `removePassword`, `getApplication`, `token`; the name is the application's object or client id. */
  protected override operationOf(
    method: string,
    path: string,
  ): { operation: string; name?: string } | undefined {
    if (method === "POST" && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) return { operation: "token" };
    const match = ROUTE.exec(decodeURIComponent(path));
    if (!match) return undefined;
    const [, objectId, appId, action] = match;
    const name = objectId ?? appId;
    return { operation: action ?? "getApplication", ...(name ? { name } : {}) };
  }

  /** What Graph's addPassword does: a new secret of 40 characters, its first three as the hint. */
  addPassword(app: Application, displayName: string | null, endDateTime?: string): PasswordCredential {
    const secretText = randomBytes(30).toString("base64").replace(/\//g, "_").replace(/\+/g, "~");
    const now = new Date();
    const credential: PasswordCredential = {
      keyId: randomUUID(),
      displayName,
      hint: secretText.slice(0, 3),
      startDateTime: now.toISOString(),
      endDateTime: endDateTime ?? new Date(now.getTime() + 2 * 365 * 86_400_000).toISOString(),
      secretText,
      ...(this.options.secretPropagationMs
        ? { acceptedFrom: new Date(now.getTime() + this.options.secretPropagationMs).toISOString() }
        : {}),
    };
    app.passwordCredentials.push(credential);
    this.changed();
    return credential;
  }

  /** Whether a client secret would authenticate the application now (a consumer's view). */
  accepts(appId: string, secret: string): boolean {
    const app = [...this.applications.values()].find((a) => a.appId === appId);
    const now = new Date();
    return (
      app?.passwordCredentials.some(
        (p) =>
          p.secretText === secret &&
          new Date(p.endDateTime) > now &&
          (p.acceptedFrom === undefined || new Date(p.acceptedFrom) <= now),
      ) ?? false
    );
  }

  /** Entra ID's token endpoint, client-credentials grant with a client secret (login.microsoftonline.com). */
  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    const clientId = form.get("client_id") ?? "";
    if (form.get("grant_type") !== "client_credentials")
      return sendJson(res, 400, { error: "unsupported_grant_type", error_codes: [70003] });
    if (!this.acceptTokens || !this.accepts(clientId, form.get("client_secret") ?? ""))
      return sendJson(res, 401, {
        error: "invalid_client",
        error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        error_codes: [7000215],
      });
    return sendJson(res, 200, {
      token_type: "Bearer",
      expires_in: 3599,
      access_token: `emulated.${randomUUID()}`,
    });
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    const method = req.method ?? "GET";
    this.requests.push({ method, path: url.pathname });
    if (method === "POST" && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(url.pathname))
      return this.token(req, res);
    const claims = readBearerToken(req.headers.authorization, Date.now(), GRAPH_AUDIENCES);
    if (typeof claims === "string")
      return graphError(
        res,
        401,
        "InvalidAuthenticationToken",
        claims === "missing" ? "Access token is empty." : `Access token validation failure (${claims}).`,
      );
    const match = ROUTE.exec(decodeURIComponent(url.pathname));
    if (!match)
      return graphError(res, 400, "BadRequest", `Resource not found for the segment '${url.pathname}'.`);
    const [, objectId, appId, action] = match;
    const app = objectId
      ? this.applications.get(objectId.toLowerCase())
      : [...this.applications.values()].find((a) => a.appId === appId?.toLowerCase());
    if (!app)
      return graphError(
        res,
        404,
        "Request_ResourceNotFound",
        `Resource '${objectId ?? appId ?? ""}' does not exist or one of its queried reference-property objects are not present.`,
      );
    if (!action && method === "GET") return sendJson(res, 200, view(app));
    if (method !== "POST" || !action)
      return graphError(res, 405, "Request_BadRequest", `${method} is not allowed here.`);
    if (this.options.authorize && !this.options.authorize(claims.identity, app))
      return graphError(
        res,
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
      );
    let body: Record<string, unknown>;
    try {
      body = ((await readJsonBody(req)) ?? {}) as Record<string, unknown>;
    } catch (error) {
      return graphError(res, 400, "BadRequest", (error as Error).message);
    }
    if (action === "addPassword") {
      const requested = (body.passwordCredential ?? {}) as { displayName?: unknown; endDateTime?: unknown };
      const end = typeof requested.endDateTime === "string" ? requested.endDateTime : undefined;
      if (end !== undefined && Number.isNaN(Date.parse(end)))
        return graphError(res, 400, "BadRequest", "Invalid endDateTime.");
      const created = this.addPassword(
        app,
        typeof requested.displayName === "string" ? requested.displayName : null,
        end,
      );
      return sendJson(res, 200, { ...created, customKeyIdentifier: null });
    }
    const keyId = body.keyId;
    const at = app.passwordCredentials.findIndex((p) => p.keyId === keyId);
    if (at < 0)
      return graphError(
        res,
        400,
        "Request_BadRequest",
        `No password credential found with keyId ${String(keyId)}.`,
      );
    app.passwordCredentials.splice(at, 1);
    this.changed();
    return sendJson(res, 204, undefined);
  }
}
