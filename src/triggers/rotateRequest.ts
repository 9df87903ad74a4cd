import { z } from "zod";
import type { AppConfig, VaultRef } from "../config.js";
import { findVault } from "../config.js";

/** `POST /api/secrets/{name}/rotate` input: the name from the route; vault, dryRun, force from the JSON body or the query. */
export interface RotateRequestInput {
  vault: VaultRef;
  secret: string;
  dryRun: boolean;
  force: boolean;
}

const flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);
const body = z
  .object({ vault: z.string().min(1).optional(), dryRun: flag.optional(), force: flag.optional() })
  .strict();

export type ParsedRotateRequest = { ok: true; value: RotateRequestInput } | { ok: false; detail: string };

export function parseRotateRequest(
  config: Pick<AppConfig, "vaults">,
  name: string | undefined,
  query: URLSearchParams,
  rawBody: string,
): ParsedRotateRequest {
  if (!name || !/^[0-9a-zA-Z-]{1,127}$/.test(name))
    return { ok: false, detail: "the secret name in the route must be 1-127 letters, digits and hyphens" };
  let fromBody: unknown = {};
  if (rawBody.trim() !== "") {
    try {
      fromBody = JSON.parse(rawBody);
    } catch {
      return { ok: false, detail: 'the body is not JSON; send {"vault"?, "dryRun"?, "force"?} or nothing' };
    }
  }
  const fromQuery = Object.fromEntries(
    ["vault", "dryRun", "force"].flatMap((k) => (query.has(k) ? [[k, query.get(k) as string]] : [])),
  );
  if (typeof fromBody !== "object" || fromBody === null || Array.isArray(fromBody)) {
    return { ok: false, detail: 'the body must be a JSON object: {"vault"?, "dryRun"?, "force"?}' };
  }
  const merged = body.safeParse({ ...fromQuery, ...fromBody });
  if (!merged.success) {
    const issue = merged.error.issues[0];
    const where = issue?.path.length ? `'${issue.path.join(".")}'` : "the body";
    return {
      ok: false,
      detail: `${where}: ${issue?.code === "unrecognized_keys" ? `unknown field(s) ${(issue as { keys?: string[] }).keys?.join(", ")}` : issue?.message}`,
    };
  }
  let vault: VaultRef | undefined;
  if (merged.data.vault) {
    vault = findVault(config as AppConfig, merged.data.vault);
    if (!vault)
      return {
        ok: false,
        detail: `vault '${merged.data.vault}' is not one of the configured vaults (${config.vaults.map((v) => v.name).join(", ")})`,
      };
  } else if (config.vaults.length === 1) {
    vault = config.vaults[0];
  } else {
    return {
      ok: false,
      detail: `'vault' is required: more than one vault is configured (${config.vaults.map((v) => v.name).join(", ")})`,
    };
  }
  return {
    ok: true,
    value: {
      vault: vault as VaultRef,
      secret: name,
      dryRun: merged.data.dryRun ?? false,
      force: merged.data.force ?? false,
    },
  };
}
