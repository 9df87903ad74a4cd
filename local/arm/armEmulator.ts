import type { IncomingMessage, ServerResponse } from "node:http";
import { readJsonBody, sendJson } from "../net/jsonHttp.js";
import { RecordEmulator } from "../net/httpsEmulator.js";
import { readBearerToken } from "../keyvault/bearerToken.js";
import { keysView, regeneration } from "./armKeys.js";
import { referencesView, resolveReferences, type SecretResolver, type SiteResource } from "./armSites.js";
import { LongRunningOperations, OPERATION_PATH } from "./longRunningOperations.js";
import {
  armView,
  newKey,
  RESOURCE_TYPES,
  type ArmResource,
  type CosmosAccountResource,
  type RedisCacheResource,
  type SqlServerResource,
  type StorageAccountResource,
} from "./armResources.js";

export interface ArmEmulatorOptions {
  port?: number;
  certDir?: string;
  /** Status polls a long-running operation answers `InProgress` before it completes (1 by default). */
  lroPolls?: number;
  /** Keep the resources in a file here and load them on start (the local stack); in memory only when absent. */
  dataDir?: string;
  /** Whether an identity may perform an ARM action (`Microsoft.Sql/servers/write`) on a resource; all when absent. */
  authorize?: (identity: string, action: string, resourceId: string) => boolean;
  /** How sites' Key Vault references resolve (the Key Vault emulator); unresolved (`SecretNotFound`) when absent. */
  resolveSecret?: SecretResolver;
}

const ARM_AUDIENCES = [
  "https://management.azure.com",
  "https://management.azure.com/",
  "https://management.core.windows.net/",
];
const ARM_FAULT_OPERATIONS = [
  "regenerateKey",
  "listKeys",
  "updateServer",
  "getResource",
  "refreshReferences",
  "listReferences",
  "restartSite",
] as const;
const SITE_PATH =
  /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Web\/sites\/([^/]+))\/(config\/configreferences\/appsettings|config\/configreferences\/appsettings\/refresh|restart)$/i;
const RESOURCE_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)(?:\/(listKeys|regenerateKey))?$/i;

/**
 * Azure Resource Manager on loopback over HTTPS, for what akv-rotator's rotators call: SQL servers (get,
 * update with a long-running operation), storage account, Cosmos DB and Redis keys (listKeys,
 * regenerateKey). Bearer tokens for the ARM audience, api-version required, ARM's error shapes, and the
 * `Azure-AsyncOperation`/`Location`/`Retry-After` headers of long-running operations. See README.md.
 */
export class ArmEmulator extends RecordEmulator<ArmResource> {
  readonly resources = new Map<string, ArmResource>();
  readonly requests: Array<{ method: string; path: string; identity?: string }> = [];
  private readonly operations: LongRunningOperations;

  constructor(private readonly options: ArmEmulatorOptions = {}) {
    super(options, {
      file: "arm.json",
      key: "resources",
      label: "ARM emulator",
      operations: ARM_FAULT_OPERATIONS,
    });
    this.operations = new LongRunningOperations(
      () => this.baseUrl,
      options.lroPolls ?? 1,
      () => this.changed(),
    );
  }

  protected snapshot(): ArmResource[] {
    return [...this.resources.values()];
  }

  protected restore(records: ArmResource[]): void {
    for (const r of records) this.resources.set(r.id.toLowerCase(), r);
  }

  protected internalError(res: ServerResponse, error: Error): void {
    sendJson(res, 500, { error: { code: "InternalServerError", message: error.message } });
  }

  private add<R extends ArmResource>(resource: R): R {
    this.resources.set(resource.id.toLowerCase(), resource);
    this.changed();
    return resource;
  }

  private id(kind: ArmResource["kind"], subscriptionId: string, resourceGroup: string, name: string): string {
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${RESOURCE_TYPES[kind]}/${name}`;
  }

  addSqlServer(s: {
    subscriptionId?: string;
    resourceGroup?: string;
    name: string;
    administratorLogin: string;
    password: string;
    fullyQualifiedDomainName?: string;
    onPasswordChange?: (login: string, password: string) => void;
  }): SqlServerResource {
    const resource = this.add<SqlServerResource>({
      kind: "sql",
      id: this.id(
        "sql",
        s.subscriptionId ?? "00000000-0000-0000-0000-000000000000",
        s.resourceGroup ?? "local",
        s.name,
      ),
      name: s.name,
      location: "westeurope",
      administratorLogin: s.administratorLogin,
      administratorLoginPassword: s.password,
      fullyQualifiedDomainName: s.fullyQualifiedDomainName ?? `${s.name}.database.windows.net`,
    });
    if (s.onPasswordChange) this.passwordHooks.set(resource.id.toLowerCase(), s.onPasswordChange);
    return resource;
  }

  private readonly passwordHooks = new Map<string, (login: string, password: string) => void>();

  addStorageAccount(
    name: string,
    subscriptionId = "00000000-0000-0000-0000-000000000000",
    resourceGroup = "local",
  ): StorageAccountResource {
    return this.add({
      kind: "storage",
      id: this.id("storage", subscriptionId, resourceGroup, name),
      name,
      location: "westeurope",
      keys: { key1: newKey(), key2: newKey() },
    });
  }

  addCosmosAccount(
    name: string,
    subscriptionId = "00000000-0000-0000-0000-000000000000",
    resourceGroup = "local",
  ): CosmosAccountResource {
    return this.add({
      kind: "cosmos",
      id: this.id("cosmos", subscriptionId, resourceGroup, name),
      name,
      location: "westeurope",
      keys: {
        primaryMasterKey: newKey(),
        secondaryMasterKey: newKey(),
        primaryReadonlyMasterKey: newKey(),
        secondaryReadonlyMasterKey: newKey(),
      },
    });
  }

  addRedisCache(
    name: string,
    subscriptionId = "00000000-0000-0000-0000-000000000000",
    resourceGroup = "local",
  ): RedisCacheResource {
    return this.add({
      kind: "redis",
      id: this.id("redis", subscriptionId, resourceGroup, name),
      name,
      location: "westeurope",
      keys: { primaryKey: newKey(32), secondaryKey: newKey(32) },
    });
  }

  /**
   * An App Service or Functions app whose app settings may be Key Vault references, resolved now and kept
   * until the references are refreshed or the site restarts (armSites.ts).
   */
  addSite(s: {
    subscriptionId?: string;
    resourceGroup?: string;
    name: string;
    appSettings: Record<string, string>;
  }): SiteResource {
    const site: SiteResource = {
      kind: "site",
      id: this.id(
        "site",
        s.subscriptionId ?? "00000000-0000-0000-0000-000000000000",
        s.resourceGroup ?? "local",
        s.name,
      ),
      name: s.name,
      location: "westeurope",
      appSettings: { ...s.appSettings },
      references: {},
    };
    resolveReferences(site, this.options.resolveSecret);
    return this.add(site);
  }

  /**
   * Fault operations: `regenerateKey`, `listKeys`, `updateServer` (the SQL admin password), `getResource`,
   * `refreshReferences`, `listReferences`, `restartSite` (sites).
   */
  protected override operationOf(
    method: string,
    path: string,
  ): { operation: string; name?: string } | undefined {
    const site = SITE_PATH.exec(path);
    if (site) {
      const sub = (site[3] as string).toLowerCase();
      const operation =
        sub === "restart" ? "restartSite" : sub.endsWith("refresh") ? "refreshReferences" : "listReferences";
      return { operation, name: site[2] as string };
    }
    const match = RESOURCE_PATH.exec(path);
    if (!match) return undefined;
    const [, , , , name, action] = match;
    const operation = action
      ? action.toLowerCase() === "listkeys"
        ? "listKeys"
        : "regenerateKey"
      : method === "PATCH"
        ? "updateServer"
        : "getResource";
    return { operation, ...(name ? { name } : {}) };
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    const method = req.method ?? "GET";
    const claims = readBearerToken(req.headers.authorization, Date.now(), ARM_AUDIENCES);
    if (typeof claims === "string") {
      this.requests.push({ method, path: url.pathname });
      return sendJson(
        res,
        401,
        {
          error: {
            code: claims === "audience" ? "InvalidAuthenticationTokenAudience" : "AuthenticationFailed",
            message:
              claims === "missing"
                ? "Authentication failed. The 'Authorization' header is missing."
                : `The access token is ${claims === "audience" ? "for another audience" : claims}.`,
          },
        },
        {
          "www-authenticate":
            'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"',
        },
      );
    }
    this.requests.push({ method, path: url.pathname, identity: claims.identity });
    const apiVersion = url.searchParams.get("api-version");
    if (!apiVersion)
      return sendJson(res, 400, {
        error: {
          code: "MissingApiVersionParameter",
          message: "The api-version query parameter (?api-version=) is required for all requests.",
        },
      });

    const op = OPERATION_PATH.exec(url.pathname);
    if (op) return this.operations.answer(res, op[1] as string, op[2] as string);

    const site = SITE_PATH.exec(url.pathname);
    if (site)
      return this.siteAction(
        res,
        method,
        site[1] as string,
        (site[3] as string).toLowerCase(),
        claims.identity,
      );

    const match = RESOURCE_PATH.exec(url.pathname);
    if (!match)
      return sendJson(res, 404, {
        error: { code: "InvalidResourceType", message: `No route for ${url.pathname}` },
      });
    const [, subscriptionId, resourceGroup, type, name, action] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
      string | undefined,
    ];
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${type}/${name}`;
    const resource = this.resources.get(id.toLowerCase());
    if (!resource)
      return sendJson(res, 404, {
        error: {
          code: "ResourceNotFound",
          message: `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
        },
      });
    const armAction = action
      ? `${RESOURCE_TYPES[resource.kind]}/${action}/action`
      : `${RESOURCE_TYPES[resource.kind]}/${method === "GET" ? "read" : "write"}`;
    if (this.options.authorize && !this.options.authorize(claims.identity, armAction, resource.id))
      return sendJson(res, 403, {
        error: {
          code: "AuthorizationFailed",
          message: `The client '${claims.identity}' with object id '${claims.identity}' does not have authorization to perform action '${armAction}' over scope '${resource.id}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
        },
      });

    let body: unknown;
    try {
      body = await readJsonBody(req);
    } catch (error) {
      return sendJson(res, 400, {
        error: { code: "InvalidRequestContent", message: (error as Error).message },
      });
    }
    const bad = (message: string): void =>
      sendJson(res, 400, { error: { code: "InvalidRequestContent", message } });

    if (!action && method === "GET") return sendJson(res, 200, armView(resource));
    if (!action && method === "PATCH" && resource.kind === "sql") {
      const password = (body as { properties?: { administratorLoginPassword?: unknown } } | undefined)
        ?.properties?.administratorLoginPassword;
      if (typeof password !== "string" || password.length < 8 || password.length > 128)
        return bad("properties.administratorLoginPassword must be a string of 8 to 128 characters");
      return this.operations.start(res, apiVersion, () => {
        resource.administratorLoginPassword = password;
        this.passwordHooks.get(resource.id.toLowerCase())?.(resource.administratorLogin, password);
      });
    }
    if (action === "listKeys" && method === "POST") return sendJson(res, 200, keysView(resource));
    if (action === "regenerateKey" && method === "POST")
      return this.regenerate(res, resource, body, apiVersion);
    return sendJson(res, 405, {
      error: { code: "MethodNotAllowed", message: `${method} is not supported here` },
    });
  }

  /** `config/configreferences/appsettings` (GET), `…/refresh` (POST), `restart` (POST) of a site. */
  private siteAction(
    res: ServerResponse,
    method: string,
    id: string,
    action: string,
    identity: string,
  ): void {
    const site = this.resources.get(id.toLowerCase());
    if (!site || site.kind !== "site")
      return sendJson(res, 404, {
        error: {
          code: "ResourceNotFound",
          message: `The Resource 'Microsoft.Web/sites/${id.split("/").pop() ?? ""}' was not found.`,
        },
      });
    const list = action === "config/configreferences/appsettings";
    const armAction = list ? "Microsoft.Web/sites/config/list/action" : "Microsoft.Web/sites/restart/action";
    if (this.options.authorize && !this.options.authorize(identity, armAction, site.id))
      return sendJson(res, 403, {
        error: {
          code: "AuthorizationFailed",
          message: `The client '${identity}' with object id '${identity}' does not have authorization to perform action '${armAction}' over scope '${site.id}' or the scope is invalid.`,
        },
      });
    if (list && method === "GET") return sendJson(res, 200, referencesView(site));
    if (!list && method === "POST") {
      resolveReferences(site, this.options.resolveSecret);
      this.changed();
      res.writeHead(200).end();
      return;
    }
    return sendJson(res, 405, {
      error: { code: "MethodNotAllowed", message: `${method} is not supported here` },
    });
  }

  private regenerate(res: ServerResponse, resource: ArmResource, body: unknown, apiVersion: string): void {
    const change = regeneration(resource, body);
    if ("error" in change)
      return sendJson(res, 400, { error: { code: "InvalidRequestContent", message: change.error } });
    if (change.longRunning) return this.operations.start(res, apiVersion, change.run);
    change.run();
    this.changed();
    return sendJson(res, 200, keysView(resource));
  }
}
