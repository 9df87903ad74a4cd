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
  if (parts.length % 2 !== 0 || parts.some((p) => p === "")) return undefined;
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    types.push(parts[i] as string);
    names.push(decodeURIComponent(parts[i + 1] as string));
  }
  return { subscriptionId, resourceGroup, resourceType: `${namespace}/${types.join("/")}`, names };
}
