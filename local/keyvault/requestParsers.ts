import { z } from "zod";
import { badParameter } from "./keyVaultError.js";
import type { SetSecretInput, UpdateInput } from "./vaultStore.js";

/** Request bodies of the Key Vault REST API, parsed from `unknown` with the service's 400 on bad input. */
const tags = z.record(z.string(), z.string());
const epochSeconds = z.number().int().nonnegative();

const setBody = z.object({
  value: z.string({ error: "Property 'value' is required and must be a string." }),
  contentType: z.string().optional(),
  tags: tags.optional(),
  attributes: z
    .object({ enabled: z.boolean().optional(), nbf: epochSeconds.optional(), exp: epochSeconds.optional() })
    .optional(),
});

const updateBody = z.object({
  contentType: z.string().optional(),
  tags: tags.optional(),
  attributes: z
    .object({
      enabled: z.boolean().optional(),
      nbf: epochSeconds.nullable().optional(),
      exp: epochSeconds.nullable().optional(),
    })
    .optional(),
});

const restoreBody = z.object({ value: z.string().min(1) });

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` (at '${issue.path.join(".")}')` : "";
    throw badParameter(`${issue?.message ?? "The request body is invalid."}${where}`);
  }
  return result.data;
}

export function parseSetBody(body: unknown): SetSecretInput {
  const b = parse(setBody, body);
  return {
    value: b.value,
    ...(b.contentType !== undefined ? { contentType: b.contentType } : {}),
    ...(b.tags !== undefined ? { tags: b.tags } : {}),
    ...(b.attributes?.enabled !== undefined ? { enabled: b.attributes.enabled } : {}),
    ...(b.attributes?.nbf !== undefined ? { nbf: b.attributes.nbf } : {}),
    ...(b.attributes?.exp !== undefined ? { exp: b.attributes.exp } : {}),
  };
}

export function parseUpdateBody(body: unknown): UpdateInput {
  const b = parse(updateBody, body);
  return {
    ...(b.contentType !== undefined ? { contentType: b.contentType } : {}),
    ...(b.tags !== undefined ? { tags: b.tags } : {}),
    ...(b.attributes?.enabled !== undefined ? { enabled: b.attributes.enabled } : {}),
    ...(b.attributes?.nbf !== undefined ? { nbf: b.attributes.nbf } : {}),
    ...(b.attributes?.exp !== undefined ? { exp: b.attributes.exp } : {}),
  };
}

export function parseRestoreBody(body: unknown): string {
  return parse(restoreBody, body).value;
}

/** `maxresults`: 1 to 25, 25 when absent (Key Vault REST reference, Get Secrets). */
export function parseMaxResults(raw: string | null): number {
  if (raw === null) return 25;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 25) {
    throw badParameter(
      `The value '${raw}' of parameter 'maxresults' is out of range. It must be between 1 and 25.`,
    );
  }
  return n;
}

export function encodeSkipToken(lastKey: string): string {
  return Buffer.from(JSON.stringify({ k: lastKey }), "utf8").toString("base64url");
}

export function decodeSkipToken(raw: string | null): string | undefined {
  if (raw === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    const k = (parsed as { k?: unknown } | null)?.k;
    if (typeof k === "string") return k;
  } catch {
    // fall through to the 400 below
  }
  throw badParameter("The value of parameter '$skiptoken' is invalid.");
}

const API_VERSION = /^(\d+\.\d+(-preview(\.\d+)?)?|\d{4}-\d{2}-\d{2}(-preview)?)$/;

export function checkApiVersion(raw: string | null): string {
  if (raw === null || raw === "") throw badParameter("The 'api-version' query parameter is missing.");
  if (!API_VERSION.test(raw))
    throw badParameter(
      `The specified version (${raw}) is not recognized. Consider using the latest supported version.`,
    );
  return raw;
}
