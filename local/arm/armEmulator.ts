import type { IncomingMessage, ServerResponse } from "node:http";
import { readJsonBody, sendJson } from "../net/jsonHttp.js";
import { RecordEmulator } from "../net/httpsEmulator.js";
import { readBearerToken } from "../keyvault/bearerToken.js";
import { handleArmAdmin } from "./armAdmin.js";
import {
  refreshNamedValue,
  restartRevision,
  type ApimNamedValueResource,
  type AppConfigKeyValueResource,
  type ContainerAppResource,
} from "./armConsumers.js";
import { keysView, regeneration } from "./armKeys.js";
import { referencesView, resolveReferences, type SecretResolver, type SiteResource } from "./armSites.js";
import { LongRunningOperations, OPERATION_PATH } from "./longRunningOperations.js";
import { VaultResources } from "./vaultResources.js";
import {
  armView,
  DEFAULT_SUBSCRIPTION,
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
  /** Called after a site resolved its Key Vault references again (a refresh or restart through ARM). */
  onSiteResolved?: (site: SiteResource) => void;
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
  "refreshSecret",
  "restartRevision",
  "setKeyValue",
] as const;
const GROUP = "^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/";
const NAMED_VALUE = new RegExp(
  `${GROUP}Microsoft\\.ApiManagement/service/[^/]+/namedValues/([^/]+)(/refreshSecret)?$`,
  "i",
);
const CONTAINER_APP = new RegExp(
  `${GROUP}Microsoft\\.App/containerApps/([^/]+)(?:/revisions/([^/]+)(/restart)?)?$`,
  "i",
);
const KEY_VALUE = new RegExp(
  `${GROUP}Microsoft\\.AppConfiguration/configurationStores/[^/]+/keyValues/([^/]+)$`,
  "i",
);
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
  /** Key vaults' properties and diagnostic settings (the vault posture), in memory. */
  readonly vaults = new VaultResources();
  private readonly operations: LongRunningOperations;

  constructor(private options: ArmEmulatorOptions = {}) {
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

  /** From now on, consumers' Key Vault references resolve with this (a vault started after the emulator). */
  resolveSecretsWith(resolve: SecretResolver): void {
    this.options = { ...this.options, resolveSecret: resolve };
  }

  /** The ARM resource ID of a resource of this kind. */
  idOf(kind: ArmResource["kind"], subscriptionId: string, resourceGroup: string, name: string): string {
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
      id: this.idOf("sql", s.subscriptionId ?? DEFAULT_SUBSCRIPTION, s.resourceGroup ?? "local", s.name),
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
    subscriptionId = DEFAULT_SUBSCRIPTION,
    resourceGroup = "local",
  ): StorageAccountResource {
    return this.add({
      kind: "storage",
      id: this.idOf("storage", subscriptionId, resourceGroup, name),
      name,
      location: "westeurope",
      keys: { key1: newKey(), key2: newKey() },
    });
  }

  addCosmosAccount(
    name: string,
    subscriptionId = DEFAULT_SUBSCRIPTION,
    resourceGroup = "local",
  ): CosmosAccountResource {
    return this.add({
      kind: "cosmos",
      id: this.idOf("cosmos", subscriptionId, resourceGroup, name),
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
    subscriptionId = DEFAULT_SUBSCRIPTION,
    resourceGroup = "local",
  ): RedisCacheResource {
    return this.add({
      kind: "redis",
      id: this.idOf("redis", subscriptionId, resourceGroup, name),
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
      id: this.idOf(
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

  private childId(sub: string | undefined, group: string | undefined, path: string): string {
    return `/subscriptions/${sub ?? "00000000-0000-0000-0000-000000000000"}/resourceGroups/${group ?? "local"}/providers/${path}`;
  }

  /** An API Management named value backed by a Key Vault secret (`secretIdentifier`), fetched now. */
  addNamedValue(s: {
    subscriptionId?: string;
    resourceGroup?: string;
    service: string;
    name: string;
    secretIdentifier: string;
  }): ApimNamedValueResource {
    const nv: ApimNamedValueResource = {
      kind: "apimNamedValue",
      id: this.childId(
        s.subscriptionId,
        s.resourceGroup,
        `Microsoft.ApiManagement/service/${s.service}/namedValues/${s.name}`,
      ),
      name: s.name,
      location: "westeurope",
      secretIdentifier: s.secretIdentifier,
      lastStatus: { code: "Success", timeStampUtc: new Date().toISOString() },
    };
    refreshNamedValue(nv, this.options.resolveSecret);
    return this.add(nv);
  }

  /** A Container App whose secrets reference Key Vault; its revision resolves them now. */
  addContainerApp(s: {
    subscriptionId?: string;
    resourceGroup?: string;
    name: string;
    secrets: { name: string; keyVaultUrl: string }[];
  }): ContainerAppResource {
    const app: ContainerAppResource = {
      kind: "containerApp",
      id: this.childId(s.subscriptionId, s.resourceGroup, `Microsoft.App/containerApps/${s.name}`),
      name: s.name,
      location: "westeurope",
      latestRevisionName: `${s.name}--0000001`,
      secrets: s.secrets,
      resolved: {},
    };
    restartRevision(app, this.options.resolveSecret);
    return this.add(app);
  }

  /** An App Configuration key-value (a sentinel key clients watch). */
  addKeyValue(s: {
    subscriptionId?: string;
    resourceGroup?: string;
    store: string;
    key: string;
    value: string;
  }): AppConfigKeyValueResource {
    return this.add<AppConfigKeyValueResource>({
      kind: "appConfigKeyValue",
      id: this.childId(
        s.subscriptionId,
        s.resourceGroup,
        `Microsoft.AppConfiguration/configurationStores/${s.store}/keyValues/${s.key}`,
      ),
      name: s.key,
      location: "westeurope",
      value: s.value,
      lastModified: new Date().toISOString(),
    });
  }

  /**
   * Fault operations: `regenerateKey`, `listKeys`, `updateServer` (the SQL admin password), `getResource`,
   * `refreshReferences`, `listReferences`, `restartSite` (sites), `refreshSecret` (APIM named values),
   * `restartRevision` (Container Apps), `setKeyValue` (App Configuration).
   */
  protected override operationOf(
    method: string,
    path: string,
  ): { operation: string; name?: string } | undefined {
    const nv = NAMED_VALUE.exec(path);
    if (nv?.[2]) return { operation: "refreshSecret", name: nv[1] as string };
    const ca = CONTAINER_APP.exec(path);
    if (ca?.[3]) return { operation: "restartRevision", name: ca[1] as string };
    const kv = KEY_VALUE.exec(path);
    if (kv && method === "PUT") return { operation: "setKeyValue", name: kv[1] as string };
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
    if (url.pathname === "/_emulator" || url.pathname.startsWith("/_emulator/")) {
      let body: unknown;
      try {
        body = await readJsonBody(req);
      } catch (error) {
        return sendJson(res, 400, { error: { code: "BadRequest", message: (error as Error).message } });
      }
      const answer = handleArmAdmin(this, method, url, body);
      return sendJson(res, answer.status, answer.body);
    }
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

    if (this.vaults.handles(url.pathname))
      return this.vaults.answer(res, method, url.pathname, (action, scope) =>
        this.options.authorize ? this.options.authorize(claims.identity, action, scope) : true,
      );
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

    if (NAMED_VALUE.test(url.pathname) || CONTAINER_APP.test(url.pathname) || KEY_VALUE.test(url.pathname))
      return this.consumerAction(req, res, method, url.pathname, claims.identity);

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
      this.options.onSiteResolved?.(site);
      res.writeHead(200).end();
      return;
    }
    return sendJson(res, 405, {
      error: { code: "MethodNotAllowed", message: `${method} is not supported here` },
    });
  }

  /** Named values (GET, refreshSecret), container apps (GET, revision restart), key-values (GET, PUT). */
  private async consumerAction(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    identity: string,
  ): Promise<void> {
    const nv = NAMED_VALUE.exec(path);
    const ca = CONTAINER_APP.exec(path);
    const id = nv?.[2]
      ? path.slice(0, -"/refreshSecret".length)
      : ca?.[2]
        ? path.replace(/\/revisions\/.*$/i, "")
        : path;
    const resource = this.resources.get(id.toLowerCase());
    if (!resource)
      return sendJson(res, 404, {
        error: {
          code: "ResourceNotFound",
          message: `The Resource '${id.split("/").slice(-2).join("/")}' was not found.`,
        },
      });
    const action = nv?.[2] || ca?.[3] || method !== "GET" ? "write" : "read";
    if (this.options.authorize && !this.options.authorize(identity, action, resource.id))
      return sendJson(res, 403, {
        error: {
          code: "AuthorizationFailed",
          message: `The client '${identity}' with object id '${identity}' does not have authorization to perform action '${action}' over scope '${resource.id}' or the scope is invalid.`,
        },
      });
    if (resource.kind === "apimNamedValue" && nv?.[2] && method === "POST") {
      refreshNamedValue(resource, this.options.resolveSecret);
      this.changed();
      return sendJson(res, 200, armView(resource));
    }
    if (resource.kind === "containerApp" && ca?.[2]) {
      if (ca[2] !== resource.latestRevisionName)
        return sendJson(res, 404, {
          error: { code: "ContainerAppRevisionNotFound", message: `Revision '${ca[2]}' was not found.` },
        });
      if (ca[3] && method === "POST") {
        restartRevision(resource, this.options.resolveSecret);
        this.changed();
        res.writeHead(200).end();
        return;
      }
      if (!ca[3] && method === "GET")
        return sendJson(res, 200, {
          id: path,
          name: ca[2],
          properties: { active: true, runningState: "Running" },
        });
    }
    if (resource.kind === "appConfigKeyValue" && method === "PUT") {
      let body: unknown;
      try {
        body = await readJsonBody(req);
      } catch (error) {
        return sendJson(res, 400, {
          error: { code: "InvalidRequestContent", message: (error as Error).message },
        });
      }
      const value = (body as { properties?: { value?: unknown } } | undefined)?.properties?.value;
      if (typeof value !== "string" || value.length > 10_000)
        return sendJson(res, 400, {
          error: { code: "InvalidRequestContent", message: "properties.value must be a string" },
        });
      resource.value = value;
      resource.lastModified = new Date().toISOString();
      this.changed();
      return sendJson(res, 200, armView(resource));
    }
    if (method === "GET" && !nv?.[2] && !ca?.[2]) return sendJson(res, 200, armView(resource));
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
