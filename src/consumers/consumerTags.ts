import { CONTROL } from "../rotators/targetTags.js";
import { SecretTagError } from "../errors.js";
import type { SecretTags } from "../rotators/rotator.js";
import { CONSUMER_KINDS, type Consumer, type ConsumerKind } from "./consumer.js";

/** `Consumers`, then `Consumers2` … `Consumers5` when one tag's 256 characters are not enough. */
export const CONSUMER_TAGS = ["Consumers", "Consumers2", "Consumers3", "Consumers4", "Consumers5"] as const;
/** At most this many consumers per secret: each is told and watched within one run's deadline. */
export const MAX_CONSUMERS = 20;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Azure's naming rules, narrowed: resource groups allow `._()-`; the others letters, digits, `.`, `_`, `-`;
// nothing that could change the shape of a URL path.
const GROUP = /^[A-Za-z0-9_()-][A-Za-z0-9._()-]{0,89}$/;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,79}$/;
// eslint-disable-next-line no-control-regex

function isKind(kind: string): kind is ConsumerKind {
  return Object.hasOwn(CONSUMER_KINDS, kind);
}

/** One `kind:segment/segment[/segment]` entry -> a consumer, or a message saying what is wrong with it. */
function parseEntry(entry: string, subscriptionId: string): Consumer | string {
  const colon = entry.indexOf(":");
  const kind = colon < 0 ? entry : entry.slice(0, colon);
  if (colon < 0 || !isKind(kind))
    return `has '${entry.slice(0, 40)}': an entry is kind:path with kind one of ${Object.keys(CONSUMER_KINDS).join(", ")}`;
  const spec = CONSUMER_KINDS[kind];
  const parts = entry.slice(colon + 1).split("/");
  if (parts.length !== spec.segments.length)
    return `has '${entry.slice(0, 60)}': ${kind} takes ${spec.segments.join("/")}`;
  for (const [i, part] of parts.entries()) {
    const pattern = i === 0 ? GROUP : NAME;
    if (!pattern.test(part) || part.endsWith("."))
      return `has '${entry.slice(0, 60)}': '${part.slice(0, 40)}' is not a valid ${spec.segments[i] as string} name`;
  }
  const [group, ...names] = parts as [string, ...string[]];
  const [namespace, ...types] = spec.resourceType.split("/");
  const path = names.map((name, i) => `${types[i] as string}/${name}`).join("/");
  return {
    kind,
    label: entry,
    id: `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/${namespace as string}/${path}`,
  };
}

/**
 * The consumers a secret names (README, "Consumers"): `Consumers` (and `Consumers2`…`Consumers5`) hold
 * comma-separated short forms (`site:<group>/<app>`, `apim:<group>/<service>/<namedValue>`,
 * `containerapp:<group>/<app>`, `appconfig:<group>/<store>/<sentinelKey>`), resolved against
 * `subscriptionId` (CONSUMER_SUBSCRIPTION_ID). Tags are outside input: a control character, an unknown kind,
 * a malformed name, an empty entry, a duplicate, or too many consumers is a SecretTagError naming the tag.
 */
export function parseConsumers(tags: SecretTags, secret: string, subscriptionId?: string): Consumer[] {
  const consumers: Consumer[] = [];
  const seen = new Map<string, string>();
  for (const tag of CONSUMER_TAGS) {
    const value = tags[tag];
    if (value === undefined) continue;
    if (CONTROL.test(value)) throw new SecretTagError(secret, tag, "contains a control character");
    if (subscriptionId === undefined || !GUID.test(subscriptionId))
      throw new SecretTagError(
        secret,
        tag,
        "names consumers, but CONSUMER_SUBSCRIPTION_ID (the subscription their short forms resolve in) is not set",
      );
    const entries = value.split(",").map((e) => e.trim());
    for (const entry of entries) {
      if (entry === "")
        throw new SecretTagError(secret, tag, "has an empty entry (two commas, or one at an end)");
      const parsed = parseEntry(entry, subscriptionId.toLowerCase());
      if (typeof parsed === "string") throw new SecretTagError(secret, tag, parsed);
      const key = parsed.id.toLowerCase();
      const earlier = seen.get(key);
      if (earlier !== undefined)
        throw new SecretTagError(secret, tag, `names '${entry}' twice (also in ${earlier})`);
      seen.set(key, tag);
      consumers.push(parsed);
    }
    if (consumers.length > MAX_CONSUMERS)
      throw new SecretTagError(secret, tag, `brings the consumers to more than ${MAX_CONSUMERS}`);
  }
  return consumers;
}
