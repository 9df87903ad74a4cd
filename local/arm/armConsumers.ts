import type { SecretResolver } from "./armSites.js";

/**
 * The other consumers of Key Vault secrets the ARM emulator holds; like sites they keep what they resolved
 * until told:
 * - API Management named values backed by Key Vault (`…/service/{s}/namedValues/{nv}`): `POST …/refreshSecret`
 *   fetches the secret again (REST reference: Named Value - Refresh Secret; the real one may answer 202 and
 *   finish later, this one answers 200 at once); `GET` shows `keyVault.secretIdentifier` and
 *   `keyVault.lastStatus` (`code`, `timeStampUtc`), never the value nor which version it fetched.
 * - Container Apps with Key Vault secrets (`…/containerApps/{app}`): a revision resolves them when it starts;
 *   `POST …/revisions/{rev}/restart` restarts it (REST reference: Container Apps Revisions - Restart Revision).
 *   `GET` of the app shows `latestRevisionName` and the secrets' `keyVaultUrl`, never a value nor a version.
 * - App Configuration key-values through ARM (`…/configurationStores/{s}/keyValues/{key}`): `PUT` sets the
 *   value (the sentinel clients watch), `GET` reads it (REST reference: Key Values - Create Or Update).
 */
export interface ApimNamedValueResource {
  kind: "apimNamedValue";
  id: string;
  name: string;
  location: string;
  secretIdentifier: string;
  lastStatus: { code: string; message?: string; timeStampUtc: string };
  /** What the gateway uses now (tests and the demo; ARM never returns either). */
  activeVersion?: string;
  value?: string;
}

export interface ContainerAppResource {
  kind: "containerApp";
  id: string;
  name: string;
  location: string;
  latestRevisionName: string;
  secrets: { name: string; keyVaultUrl: string }[];
  /** What the running revision resolved, by secret name (tests and the demo; ARM never returns it). */
  resolved: Record<string, { version: string; value: string } | undefined>;
}

export interface AppConfigKeyValueResource {
  kind: "appConfigKeyValue";
  id: string;
  name: string;
  location: string;
  value: string;
  lastModified: string;
}

export type ConsumerResource = ApimNamedValueResource | ContainerAppResource | AppConfigKeyValueResource;

/** `https://{vault}/secrets/{name}[/{version}]` -> what the resolver needs. */
function targetOf(url: string): { vaultUrl: string; secretName: string; version?: string } | undefined {
  try {
    const u = new URL(url);
    const [, kind, secretName, version] = u.pathname.split("/");
    if (kind !== "secrets" || !secretName) return undefined;
    return { vaultUrl: u.origin, secretName, ...(version ? { version } : {}) };
  } catch {
    return undefined;
  }
}

/** An APIM named value fetches its secret again: `lastStatus` says whether it could. */
export function refreshNamedValue(nv: ApimNamedValueResource, resolve: SecretResolver | undefined): void {
  const target = targetOf(nv.secretIdentifier);
  const found = target && resolve?.(target);
  const timeStampUtc = new Date().toISOString();
  if (found) {
    nv.activeVersion = found.version;
    nv.value = found.value;
    nv.lastStatus = { code: "Success", timeStampUtc };
  } else
    nv.lastStatus = { code: "SecretNotFound", message: "The secret could not be fetched.", timeStampUtc };
}

/** A container app's revision (re)starts and resolves its Key Vault secrets. */
export function restartRevision(app: ContainerAppResource, resolve: SecretResolver | undefined): void {
  app.resolved = {};
  for (const s of app.secrets) {
    const target = targetOf(s.keyVaultUrl);
    const found = target && resolve?.(target);
    app.resolved[s.name] = found ? { version: found.version, value: found.value } : undefined;
  }
}

/** The resource's ARM representation: never a value a secret holds. */
export function consumerView(r: ConsumerResource): Record<string, unknown> {
  const base = { id: r.id, name: r.name };
  switch (r.kind) {
    case "apimNamedValue":
      return {
        ...base,
        type: "Microsoft.ApiManagement/service/namedValues",
        properties: {
          displayName: r.name,
          secret: true,
          keyVault: {
            secretIdentifier: r.secretIdentifier,
            identityClientId: null,
            lastStatus: r.lastStatus,
          },
        },
      };
    case "containerApp":
      return {
        ...base,
        type: "Microsoft.App/containerApps",
        location: r.location,
        properties: {
          provisioningState: "Succeeded",
          latestRevisionName: r.latestRevisionName,
          configuration: {
            secrets: r.secrets.map((s) => ({ name: s.name, keyVaultUrl: s.keyVaultUrl, identity: "system" })),
          },
        },
      };
    case "appConfigKeyValue":
      return {
        ...base,
        type: "Microsoft.AppConfiguration/configurationStores/keyValues",
        properties: { key: r.name, value: r.value, lastModified: r.lastModified },
      };
  }
}
