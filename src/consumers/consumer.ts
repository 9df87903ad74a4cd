/**
 * `confirmable`: whether the platform shows what the consumer resolved (otherwise being told is the most a
 * consumer can reach, and retirement does not wait for more).
 *
 * The kinds of consumer akv-rotator tells about a new version: apps that cache what they read from Key Vault.
 * Each kind has a short form in the `Consumers` tags (consumerTags.ts) that resolves to one ARM resource ID.
 */
export const CONSUMER_KINDS = {
  /** App Service and Functions apps: their Key Vault references (app settings). */
  site: { resourceType: "Microsoft.Web/sites", segments: ["resource group", "app"], confirmable: true },
  /** An API Management service's Key Vault-backed named value. */
  apim: {
    resourceType: "Microsoft.ApiManagement/service/namedValues",
    segments: ["resource group", "service", "named value"],
    confirmable: true,
  },
  /** A Container App whose secrets reference Key Vault. */
  containerapp: {
    resourceType: "Microsoft.App/containerApps",
    segments: ["resource group", "app"],
    confirmable: false,
  },
  /** An App Configuration store's sentinel key, which its clients watch to refresh. */
  appconfig: {
    resourceType: "Microsoft.AppConfiguration/configurationStores/keyValues",
    segments: ["resource group", "store", "sentinel key"],
    confirmable: false,
  },
} as const;

export type ConsumerKind = keyof typeof CONSUMER_KINDS;

/** One consumer a secret names. */
export interface Consumer {
  kind: ConsumerKind;
  /** The short form as the tag wrote it (`site:rg/app`): how reports name it. */
  label: string;
  /** The full ARM resource ID it resolves to. */
  id: string;
}

/** What a rotation knows about one consumer after telling it. */
export type ConsumerState = "confirmed" | "told" | "stale";

export interface ConsumerReport {
  consumer: string;
  kind: ConsumerKind;
  /** The version the consumer was told about. */
  version: string;
  /**
   * `confirmed`: the platform shows the consumer resolved `version`; `told`: told, but not (yet) seen using
   * it within the wait; `stale`: it could not be told (a later run tells it again).
   */
  state: ConsumerState;
  /** Why it is not confirmed; never a secret value. */
  detail?: string;
}
