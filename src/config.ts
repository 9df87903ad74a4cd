import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseAllowedTargets, type AllowedTarget } from "./allowedTargets.js";
import { ConfigurationError } from "./errors.js";
import { isLoopbackHost } from "./rotators/targetTags.js";

/** One configured vault: its name (as Key Vault events carry it in `VaultName`) and its URL. */
export interface VaultRef {
  name: string;
  url: string;
}

export type StorageConfig =
  | { kind: "connectionString"; connectionString: string }
  | { kind: "identity"; blobServiceUri: string; clientId?: string };

export type CredentialKind = "default" | "managed-identity" | "emulator";

export interface AppConfig {
  vaults: VaultRef[];
  /** Absent only for read-only CLI commands (validate, status, sweep without --rotate). */
  storage?: StorageConfig;
  /** Blob container for leases, the audit outbox and reports. */
  container: string;
  audit?: { endpoint: string; key?: string };
  credential: CredentialKind;
  managedIdentityClientId?: string;
  /** Extra CA certificate (PEM) trusted for Key Vault and the audit topic: the local emulators' CA. */
  tlsCa?: string;
  defaultValidityDays: number;
  rotateBeforeExpiryDays: number;
  minRotationIntervalMinutes: number;
  leaseSeconds: number;
  /** The deadline of each call to an outside service, per attempt. */
  callTimeoutSeconds: number;
  /** The deadline of one rotation run. */
  runTimeoutSeconds: number;
  /** How long verify waits for a new credential to replicate at its provider. */
  propagationWaitSeconds: number;
  sweepSchedule: string;
  sweepConcurrency: number;
  httpRequiredRole?: string;
  /** The targets secrets may be bound to (security model): nothing is allowed when empty. */
  allowedTargets: AllowedTarget[];
  /** Azure Resource Manager, for targets rotated through the management plane (SQL admin, keys). */
  armEndpoint: string;
  /** Microsoft Graph, for Entra application secrets. */
  graphEndpoint: string;
  /** Microsoft Entra ID's token endpoint host, where a new client secret proves itself. */
  authorityHost: string;
  /** NCRONTAB schedule of the frequent timer that runs scheduled rotations from the sweep's due index. */
  scheduledRotationSchedule: string;
  /** Lead times (days before expiry) of expiry warnings, largest first. */
  expiryWarningDays: number[];
  /** Parameters of the Azure Policy built-in definitions the compliance report evaluates. */
  policy: PolicyParameters;
  /** ARM resource IDs of the vaults, by vault name (vault posture); from KEYVAULT_RESOURCE_IDS. */
  vaultResourceIds: Record<string, string>;
  /** The subscription the short forms of a secret's `Consumers` tags resolve in. */
  consumerSubscriptionId?: string;
  /** How long a rotation waits for its consumers to show the new version. */
  consumerWaitSeconds: number;
}

/** The parameters of the built-in Key Vault policies (README, Compliance report), as settings. */
export interface PolicyParameters {
  minimumDaysBeforeExpiration: number;
  maximumValidityInDays: number;
  maximumActiveDays: number;
  requiredRetentionDays: number;
}

/** Every setting akv-rotator reads, with its default. The README's settings table mirrors this. */
export const SETTINGS = {
  KEYVAULT_URIS: "comma-separated vaults: `name=https://...` or a vault URL (name from its host)",
  AzureWebJobsStorage:
    "storage connection string, or use AzureWebJobsStorage__blobServiceUri / __accountName",
  AKV_ROTATOR_CONTAINER: "blob container for leases, the audit outbox and reports (akv-rotator)",
  AUDIT_TOPIC_ENDPOINT: "Event Grid custom topic endpoint for audit events (optional)",
  AUDIT_TOPIC_KEY: "its access key; Entra auth with the app's identity when absent",
  AKV_ROTATOR_CREDENTIAL: "default | managed-identity | emulator (default)",
  AZURE_CLIENT_ID: "client id of the user-assigned managed identity",
  AKV_ROTATOR_TLS_CA_FILE: "PEM file of an extra CA to trust (the local emulators' CA)",
  DEFAULT_VALIDITY_DAYS: "lifetime of a new version when the secret has no ValidityPeriodDays tag (60)",
  ROTATE_BEFORE_EXPIRY_DAYS:
    "events and the sweep rotate this many days before expiry, at most half the validity (30)",
  MIN_ROTATION_INTERVAL_MINUTES: "on-demand rotation of a secret rotated more recently needs force (60)",
  LEASE_SECONDS: "blob lease duration, 15-60 (30)",
  CALL_TIMEOUT_SECONDS:
    "deadline of each call to Key Vault, ARM, Graph, storage (per attempt), 1-120 (30); databases have their own 10 s / 15 s",
  RUN_TIMEOUT_SECONDS:
    "deadline of one rotation run: past it the run fails retryably and the next run resumes, 2-900 (180)",
  PROPAGATION_WAIT_SECONDS:
    "how long verify keeps retrying a new credential its provider has not replicated yet (Entra client secrets), 0-300 (60)",
  SWEEP_SCHEDULE: "NCRONTAB schedule of the compliance sweep (0 0 3 * * *)",
  SWEEP_CONCURRENCY: "rotations the sweep runs at once, 1-32 (4)",
  HTTP_REQUIRED_ROLE:
    "app role the caller must hold; needs App Service Authentication on (WEBSITE_AUTH_ENABLED=True) or the app refuses to start (optional)",
  AKV_ROTATOR_ALLOWED_TARGETS:
    "targets secrets may be bound to: `[vault=]` ARM scopes, host:port patterns, applications/{objectId}; none when empty (see Security model)",
  ARM_ENDPOINT: "Azure Resource Manager endpoint for management-plane targets (https://management.azure.com)",
  GRAPH_ENDPOINT: "Microsoft Graph endpoint for Entra application secrets (https://graph.microsoft.com)",
  ENTRA_AUTHORITY_HOST:
    "Microsoft Entra ID host where new client secrets prove themselves (https://login.microsoftonline.com)",
  APPLICATIONINSIGHTS_CONNECTION_STRING:
    "Application Insights: traces, metrics and logs through OpenTelemetry (optional)",
  SCHEDULED_ROTATION_SCHEDULE:
    "NCRONTAB schedule of the timer that runs scheduled rotations from the due index (0 */15 * * * *)",
  EXPIRY_WARNING_DAYS: "lead times of expiry warnings in days, comma-separated (30,14,7,1)",
  KEYVAULT_RESOURCE_IDS: "ARM resource IDs of the vaults, comma-separated, for the vault posture (optional)",
  POLICY_MIN_DAYS_BEFORE_EXPIRATION: "policy b0eb591a: minimum days before expiration (30)",
  POLICY_MAX_VALIDITY_DAYS: "policy 342e8053: maximum validity period in days (365)",
  POLICY_MAX_ACTIVE_DAYS: "policy e8d99835: maximum days a secret may be active (365)",
  POLICY_LOG_RETENTION_DAYS: "policy cf820ca0: required retention of the vaults' resource logs in days (365)",
  CONSUMER_SUBSCRIPTION_ID: "subscription the short forms of the Consumers tags resolve in (optional)",
  CONSUMER_WAIT_SECONDS: "how long a rotation waits for its consumers to show the new version, 0-300 (60)",
} as const;

const DNS_VAULT = /^([a-z0-9-]{3,24})\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)$/i;

function parseVaults(raw: string | undefined, problems: string[]): VaultRef[] {
  if (!raw || raw.trim() === "") {
    problems.push("KEYVAULT_URIS is required: one or more vaults, e.g. https://my-vault.vault.azure.net");
    return [];
  }
  const vaults: VaultRef[] = [];
  for (const entry of raw.split(/[,\s]+/).filter(Boolean)) {
    const eq = entry.indexOf("=");
    const givenName = eq > 0 ? entry.slice(0, eq) : undefined;
    const rawUrl = eq > 0 ? entry.slice(eq + 1) : entry;
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      problems.push(`KEYVAULT_URIS: '${entry}' is not a URL`);
      continue;
    }
    if (url.protocol !== "https:") {
      problems.push(`KEYVAULT_URIS: '${rawUrl}' must use https`);
      continue;
    }
    if (url.pathname !== "/" || url.search || url.hash) {
      problems.push(`KEYVAULT_URIS: '${rawUrl}' must be a vault's base URL, without a path`);
      continue;
    }
    const derived = DNS_VAULT.exec(url.hostname)?.[1];
    const name = (givenName ?? derived)?.toLowerCase();
    if (!name) {
      problems.push(
        `KEYVAULT_URIS: name the vault at '${rawUrl}' as name=${rawUrl} (its host is not <name>.vault.azure.net)`,
      );
      continue;
    }
    if (!/^[a-z0-9-]{3,24}$/.test(name)) {
      problems.push(`KEYVAULT_URIS: '${name}' is not a vault name (3-24 letters, digits and hyphens)`);
      continue;
    }
    if (vaults.some((v) => v.name === name)) {
      problems.push(`KEYVAULT_URIS: vault '${name}' is listed twice`);
      continue;
    }
    vaults.push({ name, url: url.origin });
  }
  return vaults;
}

function parseStorage(
  env: NodeJS.ProcessEnv,
  problems: string[],
  required: boolean,
): StorageConfig | undefined {
  const cs = env.AzureWebJobsStorage?.trim();
  if (cs) {
    if (cs === "UseDevelopmentStorage=true") {
      return {
        kind: "connectionString",
        connectionString:
          "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
      };
    }
    if (!/AccountName=|BlobEndpoint=|SharedAccessSignature=/i.test(cs)) {
      problems.push("AzureWebJobsStorage is not a storage connection string");
    }
    return { kind: "connectionString", connectionString: cs };
  }
  const uri = env.AzureWebJobsStorage__blobServiceUri?.trim();
  const account = env.AzureWebJobsStorage__accountName?.trim();
  const clientId = env.AzureWebJobsStorage__clientId?.trim();
  if (uri || account) {
    const blobServiceUri = uri ?? `https://${account}.blob.core.windows.net`;
    if (!/^https?:\/\//.test(blobServiceUri))
      problems.push(`AzureWebJobsStorage__blobServiceUri '${blobServiceUri}' is not a URL`);
    return { kind: "identity", blobServiceUri, ...(clientId ? { clientId } : {}) };
  }
  if (required) {
    problems.push(
      "AzureWebJobsStorage (or AzureWebJobsStorage__blobServiceUri / __accountName) is required: leases and the audit outbox live there",
    );
  }
  return undefined;
}

function wholeNumber(
  env: NodeJS.ProcessEnv,
  name: keyof typeof SETTINGS,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}, got '${raw}'`);
    return fallback;
  }
  return n;
}

/** An https base URL; with the emulator credential it must be loopback, like the vaults. */
function serviceEndpoint(
  env: NodeJS.ProcessEnv,
  name: "ARM_ENDPOINT" | "GRAPH_ENDPOINT" | "ENTRA_AUTHORITY_HOST",
  fallback: string,
  credential: CredentialKind,
  problems: string[],
): string {
  const raw = env[name]?.trim() || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${name} '${raw}' is not a URL`);
    return fallback;
  }
  if (url.protocol !== "https:") problems.push(`${name} '${raw}' must use https`);
  if (credential === "emulator" && raw !== fallback && !isLoopbackHost(url.hostname))
    problems.push(
      `${name}: AKV_ROTATOR_CREDENTIAL=emulator only works against loopback emulators, not ${raw}`,
    );
  return url.origin;
}

const VAULT_RESOURCE_ID =
  /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[-\w._()]{1,90}\/providers\/Microsoft\.KeyVault\/vaults\/([a-z0-9-]{3,24})$/i;

/** KEYVAULT_RESOURCE_IDS: vault resource IDs, each naming a vault of KEYVAULT_URIS (matched by name). */
function parseVaultResourceIds(
  raw: string | undefined,
  vaults: VaultRef[],
  problems: string[],
  /** False for the CLI, which names a few of the vaults: IDs of the others are ignored. */
  strict: boolean,
): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const entry of (raw ?? "").split(/[,\s]+/).filter(Boolean)) {
    const name = VAULT_RESOURCE_ID.exec(entry)?.[1]?.toLowerCase();
    if (!name) {
      problems.push(
        `KEYVAULT_RESOURCE_IDS: '${entry.slice(0, 200)}' is not a vault resource ID (/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{name})`,
      );
      continue;
    }
    if (!vaults.some((v) => v.name === name)) {
      if (!strict) continue;
      problems.push(`KEYVAULT_RESOURCE_IDS: vault '${name}' is not one of KEYVAULT_URIS`);
      continue;
    }
    ids[name] = entry;
  }
  return ids;
}

/** EXPIRY_WARNING_DAYS: distinct whole days 1-365, largest first. */
function parseWarningDays(raw: string | undefined, problems: string[]): number[] {
  const text = raw?.trim() || "30,14,7,1";
  const days = text.split(",").map((d) => Number(d.trim()));
  if (days.some((d) => !Number.isInteger(d) || d < 1 || d > 365) || new Set(days).size !== days.length) {
    problems.push(
      `EXPIRY_WARNING_DAYS must be distinct whole days from 1 to 365, comma-separated, got '${text}'`,
    );
    return [30, 14, 7, 1];
  }
  return days.sort((a, b) => b - a);
}

const credentialSchema = z.enum(["default", "managed-identity", "emulator"]);

/**
 * Reads and validates every setting once. Throws one ConfigurationError that lists every problem, so an
 * operator fixes them in one pass. Never echoes a key or connection string.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: { vaults?: VaultRef[]; requireStorage?: boolean } = {},
): AppConfig {
  const problems: string[] = [];
  const vaults = overrides.vaults ?? parseVaults(env.KEYVAULT_URIS, problems);
  const storage = parseStorage(env, problems, overrides.requireStorage ?? true);
  const container = env.AKV_ROTATOR_CONTAINER?.trim() || "akv-rotator";
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    problems.push(
      `AKV_ROTATOR_CONTAINER '${container}' is not a blob container name (3-63 lowercase letters, digits, single hyphens)`,
    );
  }
  const credentialRaw = env.AKV_ROTATOR_CREDENTIAL?.trim() || "default";
  const credentialParsed = credentialSchema.safeParse(credentialRaw);
  if (!credentialParsed.success)
    problems.push(
      `AKV_ROTATOR_CREDENTIAL must be default, managed-identity or emulator, got '${credentialRaw}'`,
    );
  const credential = credentialParsed.success ? credentialParsed.data : "default";
  if (credential === "emulator") {
    const remote = vaults.filter((v) => !isLoopbackHost(new URL(v.url).hostname));
    if (remote.length > 0) {
      problems.push(
        `AKV_ROTATOR_CREDENTIAL=emulator only works against loopback emulators, not ${remote.map((v) => v.url).join(", ")}`,
      );
    }
  }
  const managedIdentityClientId = env.AZURE_CLIENT_ID?.trim() || undefined;
  let tlsCa: string | undefined;
  const caFile = env.AKV_ROTATOR_TLS_CA_FILE?.trim();
  if (caFile) {
    try {
      tlsCa = readFileSync(caFile, "utf8");
      if (!tlsCa.includes("BEGIN CERTIFICATE"))
        problems.push(`AKV_ROTATOR_TLS_CA_FILE '${caFile}' is not a PEM certificate`);
    } catch {
      problems.push(`AKV_ROTATOR_TLS_CA_FILE '${caFile}' cannot be read`);
    }
  }
  let audit: AppConfig["audit"];
  const endpoint = env.AUDIT_TOPIC_ENDPOINT?.trim();
  if (endpoint) {
    try {
      const u = new URL(endpoint);
      if (u.protocol !== "https:") problems.push("AUDIT_TOPIC_ENDPOINT must use https");
    } catch {
      problems.push(`AUDIT_TOPIC_ENDPOINT '${endpoint}' is not a URL`);
    }
    const key = env.AUDIT_TOPIC_KEY?.trim();
    audit = { endpoint, ...(key ? { key } : {}) };
  } else if (env.AUDIT_TOPIC_KEY?.trim()) {
    problems.push("AUDIT_TOPIC_KEY is set but AUDIT_TOPIC_ENDPOINT is not");
  }
  const sweepSchedule = env.SWEEP_SCHEDULE?.trim() || "0 0 3 * * *";
  if (sweepSchedule.split(/\s+/).length !== 6) {
    problems.push(
      `SWEEP_SCHEDULE must be an NCRONTAB expression with six fields (second minute hour day month weekday), got '${sweepSchedule}'`,
    );
  }
  const httpRequiredRole = env.HTTP_REQUIRED_ROLE?.trim() || undefined;
  // x-ms-client-principal is only trustworthy when the platform's authentication sets it and strips a client's.
  if (httpRequiredRole && env.WEBSITE_AUTH_ENABLED?.trim().toLowerCase() !== "true")
    problems.push(
      "HTTP_REQUIRED_ROLE is set but App Service Authentication is not on (WEBSITE_AUTH_ENABLED is not True): the caller's role could be forged",
    );
  const allowedTargets = parseAllowedTargets(env.AKV_ROTATOR_ALLOWED_TARGETS, problems);
  const armEndpoint = serviceEndpoint(
    env,
    "ARM_ENDPOINT",
    "https://management.azure.com",
    credential,
    problems,
  );
  const graphEndpoint = serviceEndpoint(
    env,
    "GRAPH_ENDPOINT",
    "https://graph.microsoft.com",
    credential,
    problems,
  );
  const authorityHost = serviceEndpoint(
    env,
    "ENTRA_AUTHORITY_HOST",
    "https://login.microsoftonline.com",
    credential,
    problems,
  );
  const scheduledRotationSchedule = env.SCHEDULED_ROTATION_SCHEDULE?.trim() || "0 */15 * * * *";
  if (scheduledRotationSchedule.split(/\s+/).length !== 6) {
    problems.push(
      `SCHEDULED_ROTATION_SCHEDULE must be an NCRONTAB expression with six fields, got '${scheduledRotationSchedule}'`,
    );
  }
  const consumerSubscriptionId = env.CONSUMER_SUBSCRIPTION_ID?.trim() || undefined;
  if (
    consumerSubscriptionId &&
    !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(consumerSubscriptionId)
  )
    problems.push(
      `CONSUMER_SUBSCRIPTION_ID must be a subscription id (a GUID), got '${consumerSubscriptionId.slice(0, 40)}'`,
    );
  const config: AppConfig = {
    vaults,
    ...(storage ? { storage } : {}),
    container,
    ...(audit ? { audit } : {}),
    credential,
    ...(managedIdentityClientId ? { managedIdentityClientId } : {}),
    ...(tlsCa ? { tlsCa } : {}),
    defaultValidityDays: wholeNumber(env, "DEFAULT_VALIDITY_DAYS", 60, 1, 3650, problems),
    rotateBeforeExpiryDays: wholeNumber(env, "ROTATE_BEFORE_EXPIRY_DAYS", 30, 0, 365, problems),
    minRotationIntervalMinutes: wholeNumber(env, "MIN_ROTATION_INTERVAL_MINUTES", 60, 0, 525_600, problems),
    leaseSeconds: wholeNumber(env, "LEASE_SECONDS", 30, 15, 60, problems),
    callTimeoutSeconds: wholeNumber(env, "CALL_TIMEOUT_SECONDS", 30, 1, 120, problems),
    runTimeoutSeconds: wholeNumber(env, "RUN_TIMEOUT_SECONDS", 180, 2, 900, problems),
    propagationWaitSeconds: wholeNumber(env, "PROPAGATION_WAIT_SECONDS", 60, 0, 300, problems),
    sweepSchedule,
    sweepConcurrency: wholeNumber(env, "SWEEP_CONCURRENCY", 4, 1, 32, problems),
    ...(httpRequiredRole ? { httpRequiredRole } : {}),
    allowedTargets,
    armEndpoint,
    graphEndpoint,
    authorityHost,
    scheduledRotationSchedule,
    expiryWarningDays: parseWarningDays(env.EXPIRY_WARNING_DAYS, problems),
    policy: {
      minimumDaysBeforeExpiration: wholeNumber(
        env,
        "POLICY_MIN_DAYS_BEFORE_EXPIRATION",
        30,
        0,
        3650,
        problems,
      ),
      maximumValidityInDays: wholeNumber(env, "POLICY_MAX_VALIDITY_DAYS", 365, 1, 36500, problems),
      maximumActiveDays: wholeNumber(env, "POLICY_MAX_ACTIVE_DAYS", 365, 1, 36500, problems),
      requiredRetentionDays: wholeNumber(env, "POLICY_LOG_RETENTION_DAYS", 365, 0, 36500, problems),
    },
    vaultResourceIds: parseVaultResourceIds(
      env.KEYVAULT_RESOURCE_IDS,
      vaults,
      problems,
      overrides.vaults === undefined,
    ),
    ...(consumerSubscriptionId ? { consumerSubscriptionId } : {}),
    consumerWaitSeconds: wholeNumber(env, "CONSUMER_WAIT_SECONDS", 60, 0, 300, problems),
  };
  if (problems.length > 0) throw new ConfigurationError(problems);
  return config;
}

/** The configured vault of that name (event `VaultName`, HTTP `vault`), or undefined. */
export function findVault(config: AppConfig, name: string): VaultRef | undefined {
  return config.vaults.find((v) => v.name === name.toLowerCase());
}
