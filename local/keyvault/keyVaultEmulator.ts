import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { sendJson } from "../net/jsonHttp.js";
import { listenOnLoopback, type ListeningServer } from "../net/loopbackServer.js";
import { ensureLocalCertificate } from "../tls/localCertificate.js";
import { readBearerToken } from "./bearerToken.js";
import { FaultInjector } from "./faultInjector.js";
import { accessDenied, badParameter, KeyVaultError, unauthorized } from "./keyVaultError.js";
import { RequestLimiter } from "./requestLimiter.js";
import {
  checkApiVersion,
  decodeSkipToken,
  encodeSkipToken,
  parseMaxResults,
  parseRestoreBody,
  parseSetBody,
  parseUpdateBody,
} from "./requestParsers.js";
import { SECRET_OPERATIONS, type SecretOperation, type SecretPermission } from "./secretOperation.js";
import { StateFile } from "../net/stateFile.js";
import { dueExpiryEvents, secretEvent, type KeyVaultEvent, type VaultIdentity } from "./vaultEvents.js";
import { parseVaultSnapshot, VaultStore, type StoredVersion, type VaultSnapshot } from "./vaultStore.js";
import { WireFormat } from "./wireFormat.js";
import { handleAdmin } from "./adminApi.js";

export interface KeyVaultEmulatorOptions {
  /** Loopback port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** The vault's name, as Key Vault's events carry it in `VaultName`. */
  vaultName?: string;
  /** Where the TLS certificate is kept (shared by every emulator): `.local/tls` by default. */
  certDir?: string;
  /** Keep the vault's state in a file here and load it on start; in memory only when absent. */
  dataDir?: string;
  softDeleteRetentionDays?: number;
  purgeProtection?: boolean;
  /** Lead time of `SecretNearExpiry`, 30 days like the service. */
  nearExpiryLeadDays?: number;
  /** How often expiry events and scheduled purges are checked; 0 turns the timer off (call checkExpiry()). */
  expiryCheckIntervalMs?: number;
  /** Permissions per caller identity (the token's `oid`); everyone may do everything when absent. */
  permissions?: Record<string, SecretPermission[]>;
  /** The clock, for tests; the emulator adds its own adjustable offset (advanceClock). */
  now?: () => number;
  subscriptionId?: string;
  resourceGroup?: string;
  tenantId?: string;
}

export type KeyVaultEventListener = (event: KeyVaultEvent) => void | Promise<void>;

interface Route {
  operation: SecretOperation;
  name?: string;
  version?: string;
}

const MAX_BODY_BYTES = 1024 * 1024;
const EVENT_HISTORY = 1000;

/**
 * A Key Vault secrets data plane on loopback over HTTPS that the real `SecretClient` cannot tell from the
 * service for what this project does with it. See README.md beside this file.
 */
export class KeyVaultEmulator {
  readonly faults = new FaultInjector();
  readonly limiter: RequestLimiter;
  readonly store: VaultStore;
  readonly vaultName: string;
  private readonly options: KeyVaultEmulatorOptions;
  private server: Server | undefined;
  private baseUrlValue = "";
  private caPath = "";
  private wire: WireFormat | undefined;
  private clockOffsetMs = 0;
  private permissions: Record<string, SecretPermission[]> | undefined;
  private readonly listeners = new Set<KeyVaultEventListener>();
  private readonly history: { seq: number; event: KeyVaultEvent }[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private stateFile: StateFile<VaultSnapshot> | undefined;
  private readonly hanging = new Set<ServerResponse>();
  private listening: ListeningServer | undefined;

  constructor(options: KeyVaultEmulatorOptions = {}) {
    this.options = options;
    this.vaultName = options.vaultName ?? "local";
    if (!/^[a-zA-Z0-9-]{3,24}$/.test(this.vaultName)) {
      throw new Error(
        `vaultName '${this.vaultName}' is not a Key Vault name (3-24 letters, digits and hyphens)`,
      );
    }
    const retention = options.softDeleteRetentionDays ?? 90;
    if (!Number.isInteger(retention) || retention < 7 || retention > 90) {
      throw new Error(`softDeleteRetentionDays must be a whole number from 7 to 90, got ${retention}`);
    }
    this.permissions = options.permissions;
    this.limiter = new RequestLimiter(() => this.now());
    this.store = new VaultStore(
      { softDeleteRetentionDays: retention, purgeProtection: options.purgeProtection ?? false },
      () => this.now(),
      (change) => {
        if (change.kind === "version-created") {
          this.emit(
            secretEvent(
              "Microsoft.KeyVault.SecretNewVersionCreated",
              this.identity,
              change.secret,
              change.version,
              this.now(),
            ),
          );
        }
        this.stateFile?.scheduleSave();
      },
    );
  }

  /** Base URL of the vault, e.g. `https://127.0.0.1:8443`: what `SecretClient` is given. */
  get url(): string {
    if (!this.server) throw new Error("the Key Vault emulator is not started");
    return this.baseUrlValue;
  }

  /** The PEM to pass as `tlsOptions.ca`. */
  get caCertPath(): string {
    return this.caPath;
  }

  get identity(): VaultIdentity {
    const sub = this.options.subscriptionId ?? "00000000-0000-0000-0000-000000000000";
    const rg = this.options.resourceGroup ?? "local";
    return {
      name: this.vaultName,
      resourceId: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${this.vaultName}`,
      baseUrl: this.baseUrlValue,
    };
  }

  now(): number {
    return (this.options.now ?? Date.now)() + this.clockOffsetMs;
  }

  /** Moves the emulator's clock forward (expiry events, soft-delete purge dates, token expiry). */
  advanceClock(ms: number): number {
    this.clockOffsetMs += ms;
    return this.now();
  }

  setPermissions(permissions: Record<string, SecretPermission[]> | undefined): void {
    this.permissions = permissions;
  }

  onEvent(listener: KeyVaultEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  eventsAfter(seq: number): { seq: number; event: KeyVaultEvent }[] {
    return this.history.filter((e) => e.seq > seq);
  }

  /** Raises the expiry events that are due and purges what soft delete scheduled; returns the events. */
  checkExpiry(): KeyVaultEvent[] {
    if (this.store.purgeDue() > 0) this.stateFile?.scheduleSave();
    const events = dueExpiryEvents(
      this.store.liveSecrets(),
      this.identity,
      this.now(),
      this.options.nearExpiryLeadDays ?? 30,
    );
    if (events.length > 0) this.stateFile?.scheduleSave();
    for (const event of events) this.emit(event);
    return events;
  }

  async start(): Promise<this> {
    const certDir = this.options.certDir ?? path.resolve(".local", "tls");
    const tls = await ensureLocalCertificate(certDir);
    this.caPath = tls.caCertPath;
    if (this.options.dataDir) {
      this.stateFile = new StateFile<VaultSnapshot>(
        path.join(this.options.dataDir, `keyvault-${this.vaultName}.json`),
        () => this.store.snapshot(),
        parseVaultSnapshot,
      );
      const snapshot = await this.stateFile.load();
      if (snapshot) this.store.load(snapshot);
    }
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent)
          this.send(res, 500, { error: { code: "InternalServerError", message: String(error) } });
        else res.destroy();
      });
    });
    const host = this.options.host ?? "127.0.0.1";
    this.listening = await listenOnLoopback(server, this.options.port ?? 0, host);
    this.server = server;
    const port = this.listening.port;
    this.baseUrlValue = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
    this.wire = new WireFormat(
      this.baseUrlValue,
      () => this.store.recoveryLevel,
      this.store.policy.softDeleteRetentionDays,
    );
    const interval = this.options.expiryCheckIntervalMs ?? 1000;
    if (interval > 0) {
      this.timer = setInterval(() => this.checkExpiry(), interval);
      this.timer.unref();
    }
    return this;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server = undefined;
    await this.listening?.stop();
    this.listening = undefined;
    await this.stateFile?.flush();
  }

  private emit(event: KeyVaultEvent): void {
    this.seq += 1;
    this.history.push({ seq: this.seq, event });
    if (this.history.length > EVENT_HISTORY) this.history.shift();
    for (const listener of this.listeners) {
      // Subscribers run after the request that caused the event has been answered, as with Event Grid.
      setImmediate(() => {
        Promise.resolve()
          .then(() => listener(event))
          .catch((error: unknown) =>
            console.error(`[keyvault-emulator] event listener failed: ${String(error)}`),
          );
      });
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrlValue);
    const method = req.method ?? "GET";
    if (url.pathname === "/_emulator" || url.pathname.startsWith("/_emulator/")) {
      const body = await readJson(req);
      const answer = await handleAdmin(this, method, url, body);
      this.send(res, answer.status, answer.body);
      return;
    }
    try {
      // Tokens are minted on the wall clock, so they are checked against it, not the advanced vault clock.
      const claims = readBearerToken(req.headers.authorization, (this.options.now ?? Date.now)());
      const tenant = this.options.tenantId ?? "00000000-0000-0000-0000-000000000000";
      if (claims === "missing")
        throw unauthorized("AKV10000: Request is missing a Bearer or PoP token.", tenant);
      if (claims === "malformed")
        throw unauthorized("AKV10022: Invalid token: the token could not be read.", tenant);
      if (claims === "expired") throw unauthorized("AKV10032: Invalid token: the token has expired.", tenant);
      if (claims === "audience") throw unauthorized("AKV10022: Invalid audience.", tenant);
      const route = routeOf(method, url.pathname);
      const apiVersion = checkApiVersion(url.searchParams.get("api-version"));
      const { permission, write } = SECRET_OPERATIONS[route.operation];
      if (this.permissions && !(this.permissions[claims.identity] ?? []).includes(permission)) {
        throw accessDenied(`oid=${claims.identity}`, permission, this.vaultName);
      }
      const limited = this.limiter.admit(write);
      if (limited) throw limited;
      const fault = this.faults.take(route.operation, route.name);
      if (fault?.mode === "hang") {
        this.hanging.add(res);
        res.on("close", () => this.hanging.delete(res));
        return;
      }
      if (fault && (fault.mode ?? "fail") === "fail") {
        const status = fault.status ?? 500;
        const body = fault.body ?? { error: { code: "InternalServerError", message: "Injected fault." } };
        this.send(res, status, body, fault.headers);
        return;
      }
      const body = await readJson(req);
      const answer = this.execute(route, url, apiVersion, body);
      if (fault?.mode === "drop-response") {
        // The change is made; the caller never hears of it.
        req.socket.destroy();
        return;
      }
      this.send(res, answer.status, answer.body, {
        "x-ms-client-request-id": String(req.headers["x-ms-client-request-id"] ?? ""),
      });
    } catch (error) {
      if (error instanceof KeyVaultError) {
        this.send(res, error.status, error.toBody(), error.headers);
        return;
      }
      throw error;
    }
  }

  private execute(
    route: Route,
    url: URL,
    apiVersion: string,
    body: unknown,
  ): { status: number; body: unknown } {
    const wire = this.wire as WireFormat;
    const store = this.store;
    const name = route.name ?? "";
    switch (route.operation) {
      case "setSecret": {
        const { secret, version } = store.set(name, parseSetBody(body));
        return ok(wire.bundle(secret, version, true));
      }
      case "getSecret": {
        const { secret, version } = store.get(name, route.version);
        return ok(wire.bundle(secret, version, true));
      }
      case "updateSecret": {
        const { secret, version } = store.update(name, route.version, parseUpdateBody(body));
        return ok(wire.bundle(secret, version, false));
      }
      case "getSecrets": {
        const max = parseMaxResults(url.searchParams.get("maxresults"));
        const page = store.page(decodeSkipToken(url.searchParams.get("$skiptoken")), max + 1);
        const shown = page.slice(0, max);
        return ok({
          value: shown.map((s) => wire.item(s, s.versions.at(-1) as StoredVersion, false)),
          nextLink:
            page.length > max
              ? this.nextLink("/secrets", apiVersion, (shown.at(-1)?.name ?? "").toLowerCase(), max)
              : null,
        });
      }
      case "getSecretVersions": {
        const max = parseMaxResults(url.searchParams.get("maxresults"));
        const after = decodeSkipToken(url.searchParams.get("$skiptoken"));
        // A secret that does not exist has no versions: the service answers 200 with an empty list, not 404
        // (azure-sdk-for-js keyvault-secrets recording `can list secret versions (non existing)`).
        const secret = store.versionsOfOrNone(name);
        if (!secret) return ok({ value: [], nextLink: null });
        // The service lists versions in the order of their ids, not of creation (seen by lowkey-vault #467).
        const sorted = [...secret.versions].sort((a, b) => (a.version < b.version ? -1 : 1));
        const rest = after === undefined ? sorted : sorted.filter((v) => v.version > after);
        const shown = rest.slice(0, max);
        return ok({
          value: shown.map((v) => wire.item(secret, v, true)),
          nextLink:
            rest.length > max
              ? this.nextLink(
                  `/secrets/${secret.name}/versions`,
                  apiVersion,
                  shown.at(-1)?.version ?? "",
                  max,
                )
              : null,
        });
      }
      case "deleteSecret":
        return ok(wire.deletedBundle(store.delete(name)));
      case "getDeletedSecret":
        return ok(wire.deletedBundle(store.getDeleted(name)));
      case "getDeletedSecrets": {
        const max = parseMaxResults(url.searchParams.get("maxresults"));
        const page = store.deletedPage(decodeSkipToken(url.searchParams.get("$skiptoken")), max + 1);
        const shown = page.slice(0, max);
        return ok({
          value: shown.map((s) => wire.deletedItem(s)),
          nextLink:
            page.length > max
              ? this.nextLink("/deletedsecrets", apiVersion, (shown.at(-1)?.name ?? "").toLowerCase(), max)
              : null,
        });
      }
      case "recoverDeletedSecret": {
        const secret = store.recover(name);
        return ok(wire.bundle(secret, secret.versions.at(-1) as StoredVersion, false));
      }
      case "purgeDeletedSecret":
        store.purge(name);
        return { status: 204, body: undefined };
      case "backupSecret":
        return ok({ value: store.backup(name) });
      case "restoreSecret": {
        const secret = store.restore(parseRestoreBody(body));
        return ok(wire.bundle(secret, secret.versions.at(-1) as StoredVersion, false));
      }
    }
  }

  /** Absolute `nextLink`, as the service gives it (with the port, `$skiptoken` and `maxresults`). */
  private nextLink(pathname: string, apiVersion: string, lastKey: string, max: number): string {
    return `${this.baseUrlValue}${pathname}?api-version=${apiVersion}&$skiptoken=${encodeSkipToken(lastKey)}&maxresults=${max}`;
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    sendJson(res, status, body, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-cache",
      "x-ms-keyvault-region": "local",
      "x-ms-keyvault-service-version": "akv-rotator-emulator",
      ...headers,
    });
  }
}

function ok(body: unknown): { status: number; body: unknown } {
  return { status: 200, body };
}

/** Maps a method and path of the secrets API to its operation. */
export function routeOf(method: string, pathname: string): Route {
  const segments = pathname.split("/").slice(1).map(decodeURIComponent);
  while (segments.length > 0 && segments.at(-1) === "") segments.pop();
  const [collection, name, third, ...rest] = segments;
  // The service's text (azure-sdk-for-js keyvault-secrets recording `cannot create a secret with an empty name`:
  // PUT /secrets/ answers 405 {"code":"MethodNotAllowed","message":"HTTP PUT not allowed"}).
  const notAllowed = (): KeyVaultError =>
    new KeyVaultError(405, "MethodNotAllowed", `HTTP ${method} not allowed`);
  if (rest.length > 0 || !collection) throw notFound(pathname);
  if (collection === "secrets") {
    if (name === undefined) {
      if (method === "GET") return { operation: "getSecrets" };
      throw notAllowed();
    }
    if (third === undefined) {
      if (method === "POST" && name === "restore") return { operation: "restoreSecret" };
      if (method === "PUT") return { operation: "setSecret", name };
      if (method === "GET") return { operation: "getSecret", name };
      if (method === "PATCH") return { operation: "updateSecret", name };
      if (method === "DELETE") return { operation: "deleteSecret", name };
      throw notAllowed();
    }
    if (third === "versions" && method === "GET") return { operation: "getSecretVersions", name };
    if (third === "backup" && method === "POST") return { operation: "backupSecret", name };
    if (method === "GET") return { operation: "getSecret", name, version: third };
    if (method === "PATCH") return { operation: "updateSecret", name, version: third };
    throw notAllowed();
  }
  if (collection === "deletedsecrets") {
    if (name === undefined) {
      if (method === "GET") return { operation: "getDeletedSecrets" };
      throw notAllowed();
    }
    if (third === undefined) {
      if (method === "GET") return { operation: "getDeletedSecret", name };
      if (method === "DELETE") return { operation: "purgeDeletedSecret", name };
      throw notAllowed();
    }
    if (third === "recover" && method === "POST") return { operation: "recoverDeletedSecret", name };
    throw notAllowed();
  }
  throw notFound(pathname);
}

function notFound(pathname: string): KeyVaultError {
  // The emulator serves secrets only; keys and certificates are not part of it.
  return new KeyVaultError(
    404,
    "NotFound",
    `The emulator serves the secrets API only; ${pathname} is not part of it.`,
  );
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw badParameter("The request body is too large.");
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    throw badParameter("The request body is not valid JSON.");
  }
}
