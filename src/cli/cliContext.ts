import { readFileSync } from "node:fs";
import path from "node:path";
import type { VaultRef } from "../config.js";
import { loadConfig, type AppConfig } from "../config.js";
import { ConfigurationError } from "../errors.js";

/** A usage mistake: exit code 2 with the message and the usage line. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const DNS_VAULT = /^([a-z0-9-]{3,24})\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)$/i;

/**
 * The settings a command runs with: the environment (as the app reads it), or with `--local` the settings
 * `npm start` wrote to `.local/stack.json`.
 */
export function cliEnv(io: CliIo, local: boolean): NodeJS.ProcessEnv {
  if (!local) return io.env;
  const file = path.join(io.cwd, ".local", "stack.json");
  let stack: { settings?: Record<string, string> };
  try {
    stack = JSON.parse(readFileSync(file, "utf8")) as typeof stack;
  } catch {
    throw new UsageError(`--local needs the local stack's ${file}: run npm start first`);
  }
  return { ...io.env, ...(stack.settings ?? {}) };
}

const VAULT_NAME = /^[a-z0-9-]{3,24}$/i;

/** A vault's base URL as an argument gives it: https, no path, query or fragment; a UsageError otherwise. */
function vaultUrl(raw: string, arg: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`'${arg}': '${raw}' is not a URL`);
  }
  if (url.protocol !== "https:") throw new UsageError(`'${arg}': a vault URL must use https`);
  if (url.pathname !== "/" || url.search || url.hash || url.username || url.password)
    throw new UsageError(`'${arg}': a vault URL is its base URL only (https://<name>.vault.azure.net)`);
  return url;
}

/**
 * A vault argument: a vault URL, `name=https://...`, a name from KEYVAULT_URIS, or a bare vault name
 * (`my-vault` -> https://my-vault.vault.azure.net).
 */
export function resolveVault(arg: string, env: NodeJS.ProcessEnv): VaultRef {
  const known = new Map<string, string>();
  for (const entry of (env.KEYVAULT_URIS ?? "").split(/[,\s]+/).filter(Boolean)) {
    const eq = entry.indexOf("=");
    const url = eq > 0 ? entry.slice(eq + 1) : entry;
    try {
      const name = eq > 0 ? entry.slice(0, eq) : DNS_VAULT.exec(new URL(url).hostname)?.[1];
      if (name) known.set(name.toLowerCase(), url);
    } catch {
      // a bad entry is reported by loadConfig when it matters
    }
  }
  const eq = arg.indexOf("=");
  if (eq > 0) {
    const name = arg.slice(0, eq).toLowerCase();
    if (!VAULT_NAME.test(name))
      throw new UsageError(`'${arg}': '${name}' is not a vault name (3-24 letters, digits and hyphens)`);
    return { name, url: vaultUrl(arg.slice(eq + 1), arg).origin };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(arg)) {
    const url = vaultUrl(arg, arg);
    const name =
      DNS_VAULT.exec(url.hostname)?.[1] ??
      [...known].find(([, u]) => URL.canParse(u) && new URL(u).origin === url.origin)?.[0];
    if (!name) throw new UsageError(`cannot tell the vault's name from ${arg}; write name=${url.origin}`);
    return { name: name.toLowerCase(), url: url.origin };
  }
  const fromEnv = known.get(arg.toLowerCase());
  if (fromEnv) return { name: arg.toLowerCase(), url: vaultUrl(fromEnv, `KEYVAULT_URIS (${arg})`).origin };
  if (VAULT_NAME.test(arg))
    return { name: arg.toLowerCase(), url: `https://${arg.toLowerCase()}.vault.azure.net` };
  throw new UsageError(`'${arg}' is not a vault: give a vault name, a vault URL, or name=URL`);
}

/** Validated settings for these vaults; storage only when the command writes (leases, outbox). */
export function cliConfig(env: NodeJS.ProcessEnv, vaults: VaultRef[], requireStorage: boolean): AppConfig {
  try {
    return loadConfig(env, { vaults, requireStorage });
  } catch (error) {
    if (
      error instanceof ConfigurationError &&
      requireStorage &&
      !env.AzureWebJobsStorage &&
      !env.AzureWebJobsStorage__accountName &&
      !env.AzureWebJobsStorage__blobServiceUri
    ) {
      throw new ConfigurationError([
        ...error.problems,
        "rotating from the CLI takes the same lease as the deployed app: set AzureWebJobsStorage to the app's storage account",
      ]);
    }
    throw error;
  }
}
