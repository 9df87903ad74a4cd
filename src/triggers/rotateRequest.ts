import { z } from "zod";
import type { AppConfig, VaultRef } from "../config.js";
import { findVault } from "../config.js";
import { parseStrictJson } from "./strictJson.js";

/** `POST /api/secrets/{name}/rotate` input: the name from the route; vault, dryRun, force from the JSON body or the query. */
export interface RotateRequestInput {
  vault: VaultRef;
  secret: string;
  dryRun: boolean;
  force: boolean;
}

/** The request as the host hands it over, before anything is trusted. */
export interface RawRotateRequest {
  /** The route's `{name}`, as the host decoded it (once). */
  name: string | undefined;
  /** The URL as received: its path and query are checked in their encoded form. */
  url: string;
  contentType: string | null;
  body: string;
}

/** The largest body accepted: `{"vault":…,"dryRun":…,"force":…}` needs a few hundred bytes. */
export const MAX_ROTATE_BODY_BYTES = 16 * 1024;

const flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);
const fields = z
  .object({ vault: z.string().min(1).optional(), dryRun: flag.optional(), force: flag.optional() })
  .strict();
type Fields = z.infer<typeof fields>;

export type ParsedRotateRequest =
  { ok: true; value: RotateRequestInput } | { ok: false; status: 400 | 413 | 415; detail: string };

const bad = (detail: string): ParsedRotateRequest => ({ ok: false, status: 400, detail });
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** A `%` not followed by two hex digits: malformed percent-encoding. */
const MALFORMED_ESCAPE = /%(?![0-9a-fA-F]{2})/;
/** Query keys the Functions host itself reads (the function key). */
const HOST_QUERY_KEYS = new Set(["code"]);

/**
 * Parses a rotation request strictly (DESIGN.md, security model): anything that two readers could read
 * differently is refused with a 4xx and changes nothing: a duplicate key in the body or the query, a field
 * given in both with different values, malformed or doubly decoded percent-encoding, a body that is not
 * JSON (415 when its content type says so) or is too large (413).
 */
export function parseRotateRequest(
  config: Pick<AppConfig, "vaults">,
  raw: RawRotateRequest,
): ParsedRotateRequest {
  const url = new URL(raw.url);
  const segment = /\/secrets\/([^/]*)\/rotate\/?$/i.exec(url.pathname)?.[1];
  if (MALFORMED_ESCAPE.test(url.pathname) || MALFORMED_ESCAPE.test(url.search))
    return bad("the URL has malformed percent-encoding");
  const name = raw.name;
  if (!name || !SECRET_NAME.test(name))
    return bad("the secret name in the route must be 1-127 letters, digits and hyphens");
  if (segment !== undefined && decodeURIComponent(segment) !== name)
    return bad("the secret name in the route was decoded more than once");

  const fromQuery: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (HOST_QUERY_KEYS.has(key)) continue;
    if (Object.hasOwn(fromQuery, key)) return bad(`the query gives '${key.slice(0, 32)}' more than once`);
    fromQuery[key] = value;
  }
  const query = fields.safeParse(fromQuery);
  if (!query.success) return bad(`the query: ${describeIssue(query.error)}`);

  let fromBody: Fields = {};
  if (raw.body.trim() !== "") {
    if (Buffer.byteLength(raw.body, "utf8") > MAX_ROTATE_BODY_BYTES)
      return { ok: false, status: 413, detail: `the body is larger than ${MAX_ROTATE_BODY_BYTES} bytes` };
    if (!/^application\/json\s*(;|$)/i.test(raw.contentType?.trim() ?? ""))
      return {
        ok: false,
        status: 415,
        detail: "the body must have content type application/json (or send no body)",
      };
    const json = parseStrictJson(raw.body);
    if (!json.ok) return bad(`the body ${json.reason}; send {"vault"?, "dryRun"?, "force"?} or nothing`);
    if (typeof json.value !== "object" || json.value === null || Array.isArray(json.value))
      return bad('the body must be a JSON object: {"vault"?, "dryRun"?, "force"?}');
    const body = fields.safeParse(json.value);
    if (!body.success) return bad(describeIssue(body.error));
    fromBody = body.data;
  }
  for (const key of ["vault", "dryRun", "force"] as const) {
    if (query.data[key] !== undefined && fromBody[key] !== undefined && query.data[key] !== fromBody[key])
      return bad(`'${key}' is given in the query and in the body with different values`);
  }
  const merged: Fields = { ...query.data, ...fromBody };

  let vault: VaultRef | undefined;
  if (merged.vault) {
    vault = findVault(config as AppConfig, merged.vault);
    if (!vault)
      return bad(
        `vault '${merged.vault.slice(0, 64)}' is not one of the configured vaults (${config.vaults.map((v) => v.name).join(", ")})`,
      );
  } else if (config.vaults.length === 1) {
    vault = config.vaults[0];
  } else {
    return bad(
      `'vault' is required: more than one vault is configured (${config.vaults.map((v) => v.name).join(", ")})`,
    );
  }
  return {
    ok: true,
    value: {
      vault: vault as VaultRef,
      secret: name,
      dryRun: merged.dryRun ?? false,
      force: merged.force ?? false,
    },
  };
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? `'${issue.path.join(".")}'` : "the body";
  return `${where}: ${issue?.code === "unrecognized_keys" ? `unknown field(s) ${(issue as { keys?: string[] }).keys?.map((k) => k.slice(0, 32)).join(", ")}` : issue?.message}`;
}
