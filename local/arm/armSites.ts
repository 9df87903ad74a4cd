/**
 * App Service / Functions sites in the ARM emulator, with the Key Vault references of their app settings.
 * Like the platform (learn.microsoft.com "Use Key Vault references as app settings"), a reference is
 * resolved when the site starts, restarts, or its references are refreshed
 * (`POST …/config/configreferences/appsettings/refresh`), and the value is kept until then: a new version
 * in the vault is not seen on its own (the real platform re-reads about every 24 hours). `GET
 * …/config/configreferences/appsettings` lists each reference with `status` (the REST API's ResolveStatus:
 * `Resolved`, `SecretNotFound`, `VaultNotFound`, …), `vaultName`, `secretName`, `secretVersion` (pinned
 * references only) and `activeVersion` (REST reference: Web Apps - Get App Settings Key Vault References).
 */

/** Where a reference points: `@Microsoft.KeyVault(SecretUri=…)` or `(VaultName=…;SecretName=…[;SecretVersion=…])`. */
export interface KeyVaultReferenceTarget {
  vaultName?: string;
  vaultUrl?: string;
  secretName: string;
  version?: string;
}

/** Finds the version a reference resolves to in the Key Vault emulator, and the vault's name; undefined: not found. */
export type SecretResolver = (
  ref: KeyVaultReferenceTarget,
) => { vaultName: string; version: string; value: string } | undefined;

export interface ResolvedReference {
  reference: string;
  status: string;
  vaultName?: string;
  secretName?: string;
  secretVersion?: string;
  activeVersion?: string;
  /** What the app reads from the setting (held for tests and the demo; ARM never returns it). */
  value?: string;
  details?: string;
}

export interface SiteResource {
  kind: "site";
  id: string;
  name: string;
  location: string;
  appSettings: Record<string, string>;
  /** The app's cached resolution of each Key Vault reference, by setting name. */
  references: Record<string, ResolvedReference>;
}

const REFERENCE = /^@Microsoft\.KeyVault\((.*)\)$/i;

/** A reference's target, `"InvalidSyntax"` when it is one but cannot be read, undefined when it is a plain setting. */
export function parseReference(setting: string): KeyVaultReferenceTarget | "InvalidSyntax" | undefined {
  const match = REFERENCE.exec(setting.trim());
  if (!match) return undefined;
  const parts = new Map<string, string>();
  for (const pair of (match[1] as string).split(";").filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq < 1) return "InvalidSyntax";
    parts.set(pair.slice(0, eq).trim().toLowerCase(), pair.slice(eq + 1).trim());
  }
  const uri = parts.get("secreturi");
  if (uri) {
    try {
      const url = new URL(uri);
      const [, kind, secretName, version] = url.pathname.split("/");
      if (kind !== "secrets" || !secretName) return "InvalidSyntax";
      return { vaultUrl: url.origin, secretName, ...(version ? { version } : {}) };
    } catch {
      return "InvalidSyntax";
    }
  }
  const vaultName = parts.get("vaultname");
  const secretName = parts.get("secretname");
  if (!vaultName || !secretName) return "InvalidSyntax";
  const version = parts.get("secretversion");
  return { vaultName, secretName, ...(version ? { version } : {}) };
}

/** Resolves every Key Vault reference of the site now (a start, restart or refresh). */
export function resolveReferences(site: SiteResource, resolve: SecretResolver | undefined): void {
  site.references = {};
  for (const [name, setting] of Object.entries(site.appSettings)) {
    const target = parseReference(setting);
    if (target === undefined) continue;
    if (target === "InvalidSyntax") {
      site.references[name] = { reference: setting, status: "InvalidSyntax" };
      continue;
    }
    const found = resolve?.(target);
    site.references[name] = {
      reference: setting,
      secretName: target.secretName,
      ...(target.version ? { secretVersion: target.version } : {}),
      ...(found
        ? { status: "Resolved", vaultName: found.vaultName, activeVersion: found.version, value: found.value }
        : {
            status: target.version ? "SecretVersionNotFound" : "SecretNotFound",
            ...(target.vaultName ? { vaultName: target.vaultName } : {}),
          }),
    };
  }
}

/** The platform's list of a site's references: never the value. */
export function referencesView(site: SiteResource): Record<string, unknown> {
  return {
    value: Object.entries(site.references).map(([name, r]) => ({
      id: `${site.id}/config/configreferences/appsettings/${name}`,
      name,
      type: "Microsoft.Web/sites/config/configreferences",
      properties: {
        reference: r.reference,
        status: r.status,
        vaultName: r.vaultName,
        secretName: r.secretName,
        secretVersion: r.secretVersion ?? null,
        activeVersion: r.activeVersion ?? null,
        identityType: { type: "SystemAssigned" },
        details: r.details ?? null,
        source: "KeyVault",
      },
    })),
  };
}
