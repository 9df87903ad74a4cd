/** An ARM resource ID taken apart: `/subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}[/{type}/{name}]...`. */
export interface ResourceId {
  subscriptionId: string;
  resourceGroup: string;
  /** `Microsoft.Sql/servers`, `Microsoft.Sql/servers/databases`, ... */
  resourceType: string;
  /** Names from the top resource down: `["myserver", "mydb"]`. */
  names: string[];
}

const PREFIX = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/(.+)$/i;
/**
 * Every segment as ARM names allow it, with no escapes: a `%`, `/` or `..` hidden in a name could make an ID
 * that looks like it lies under an allowed scope name a resource outside it.
 */
const SEGMENT = /^(?!\.\.?$)[A-Za-z0-9._()-]{1,260}$/;

/** The parsed ID, or undefined when `raw` is not a full resource ID. */
export function parseResourceId(raw: string): ResourceId | undefined {
  const match = PREFIX.exec(raw.trim().replace(/\/+$/, ""));
  if (!match) return undefined;
  const [, subscriptionId, resourceGroup, namespace, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  const parts = rest.split("/");
  if (
    parts.length % 2 !== 0 ||
    ![subscriptionId, resourceGroup, namespace, ...parts].every((p) => SEGMENT.test(p))
  )
    return undefined;
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    types.push(parts[i] as string);
    names.push(parts[i + 1] as string);
  }
  return { subscriptionId, resourceGroup, resourceType: `${namespace}/${types.join("/")}`, names };
}

/** The canonical text of a parsed ID: what allowlists and consent compare against. */
export function formatResourceId(id: ResourceId): string {
  const [namespace, ...types] = id.resourceType.split("/");
  const pairs = types.map((t, i) => `${t}/${id.names[i] ?? ""}`).join("/");
  return `/subscriptions/${id.subscriptionId}/resourceGroups/${id.resourceGroup}/providers/${namespace ?? ""}/${pairs}`;
}

/** The server a server's or database's resource ID names (`…/servers/x/databases/y` -> `…/servers/x`). */
export function serverResourceId(resourceId: string): string {
  return resourceId.replace(/\/databases\/[^/]+$/i, "");
}
