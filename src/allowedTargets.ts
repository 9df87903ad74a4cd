/**
 * `AKV_ROTATOR_ALLOWED_TARGETS`: the targets the app's owner lets secrets be bound to (DESIGN.md, security
 * model). Entries are separated by commas or white space; each is `[vault=]pattern`, for every configured
 * vault when no vault is named:
 * - an ARM scope: `/subscriptions/{id}`, `…/resourceGroups/{group}` or a resource ID (the resource and
 *   everything under it), compared without regard to case as ARM does;
 * - a host with its port: `db.example.com:5432`, `*.postgres.database.azure.com:5432` (`*.` stands for one
 *   or more labels), `127.0.0.1:*` (any port);
 * - an Entra application: `applications/{objectId}`, `applications(appId='{clientId}')`, or `applications/*`.
 */
export type AllowedTarget =
  | { vault?: string; kind: "arm"; scope: string }
  | { vault?: string; kind: "host"; host: string; wildcardHost: boolean; port: number | "*" }
  | { vault?: string; kind: "application"; path: string };

const VAULT = /^[a-z0-9-]{3,24}$/;
const SEGMENT = "[A-Za-z0-9._()-]+";
const ARM_SCOPE = new RegExp(
  `^/subscriptions/${SEGMENT}(?:/resourceGroups/${SEGMENT}(?:/providers/${SEGMENT}(?:/${SEGMENT}/${SEGMENT})+)?)?$`,
  "i",
);
const HOST = /^(\*\.)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*):(\d{1,5}|\*)$/;
const APPLICATION = /^applications(?:\/([0-9a-f-]{36}|\*)|\(appId='([0-9a-f-]{36})'\))$/i;

/** Parses the setting; every entry that is not one of the forms above is a problem naming it. */
export function parseAllowedTargets(raw: string | undefined, problems: string[]): AllowedTarget[] {
  const out: AllowedTarget[] = [];
  for (const entry of (raw ?? "").split(/[,\s]+/).filter(Boolean)) {
    const eq = entry.indexOf("=");
    const vault = eq > 0 ? entry.slice(0, eq).toLowerCase() : undefined;
    const pattern = eq > 0 ? entry.slice(eq + 1) : entry;
    const scope = vault ? { vault } : {};
    if (vault !== undefined && !VAULT.test(vault)) {
      problems.push(`AKV_ROTATOR_ALLOWED_TARGETS: '${entry}' names no vault before '='`);
      continue;
    }
    const host = HOST.exec(pattern);
    const app = APPLICATION.exec(pattern);
    if (ARM_SCOPE.test(pattern)) out.push({ ...scope, kind: "arm", scope: pattern.toLowerCase() });
    else if (host) {
      const port = host[3] === "*" ? "*" : Number(host[3]);
      if (port !== "*" && (port < 1 || port > 65535)) {
        problems.push(`AKV_ROTATOR_ALLOWED_TARGETS: '${entry}' has a port outside 1-65535`);
        continue;
      }
      const name = (host[2] as string).replace(/^\[|\]$/g, "").toLowerCase();
      out.push({ ...scope, kind: "host", host: name, wildcardHost: host[1] !== undefined, port });
    } else if (app) out.push({ ...scope, kind: "application", path: normalApplication(pattern) });
    else
      problems.push(
        `AKV_ROTATOR_ALLOWED_TARGETS: '${entry}' is not an ARM scope (/subscriptions/...), host:port or applications/{objectId}`,
      );
  }
  return out;
}

function normalApplication(path: string): string {
  return path.replace(/^\/+/, "").toLowerCase();
}

export type BindingTarget =
  | { kind: "arm"; resourceId: string }
  /**
   * A host the app connects to. `serverId`: the resource ID of the server the host name was derived from
   * (a server's DNS name is global, so only a host entry or that exact resource ID allows it: a scope that
   * contains the ID does not prove the server named is the one in it).
   */
  | { kind: "host"; host: string; port: number; serverId?: string }
  | { kind: "application"; path: string };

/** The list's ARM scopes that apply to secrets of `vault`: where the consumers those secrets name may lie. */
export function armScopesFor(list: readonly AllowedTarget[], vault: string): string[] {
  const v = vault.toLowerCase();
  return list.flatMap((e) => (e.kind === "arm" && (e.vault === undefined || e.vault === v) ? [e.scope] : []));
}

/** Whether an entry of the list allows binding a secret of `vault` to `target`. */
export function isTargetAllowed(
  list: readonly AllowedTarget[],
  vault: string,
  target: BindingTarget,
): boolean {
  const v = vault.toLowerCase();
  return list.some((entry) => {
    if (entry.vault !== undefined && entry.vault !== v) return false;
    if (entry.kind === "arm" && target.kind === "arm") {
      const id = target.resourceId.toLowerCase();
      return id === entry.scope || id.startsWith(`${entry.scope}/`);
    }
    if (entry.kind === "arm" && target.kind === "host" && target.serverId !== undefined)
      return target.serverId.toLowerCase() === entry.scope;
    if (entry.kind === "host" && target.kind === "host") {
      const host = target.host.toLowerCase();
      const hostOk = entry.wildcardHost ? host.endsWith(`.${entry.host}`) : host === entry.host;
      return hostOk && (entry.port === "*" || entry.port === target.port);
    }
    if (entry.kind === "application" && target.kind === "application") {
      const path = normalApplication(target.path);
      return entry.path === path || (entry.path === "applications/*" && /^applications[/(]/.test(path));
    }
    return false;
  });
}

const AZURE_SQL_HOST = /\.database\.(windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)$/i;

/** A host the app's own Azure SQL token may go to: Azure SQL's own names, in every cloud. */
export function isAzureSqlHost(host: string): boolean {
  return AZURE_SQL_HOST.test(host);
}
