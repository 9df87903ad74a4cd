import { randomBytes } from "node:crypto";
import { consumerView, type ConsumerResource } from "./armConsumers.js";
import type { SiteResource } from "./armSites.js";

/** The management-plane state the ARM emulator keeps, by resource kind. Keys are made like the services'. */
export interface SqlServerResource {
  kind: "sql";
  id: string;
  name: string;
  location: string;
  administratorLogin: string;
  /** Held so tests can check what the rotator set; ARM never returns it. */
  administratorLoginPassword: string;
  /** What `properties.fullyQualifiedDomainName` says; the local stack points it at the TDS fixture (`host,port`). */
  fullyQualifiedDomainName: string;
}

export interface StorageAccountResource {
  kind: "storage";
  id: string;
  name: string;
  location: string;
  keys: { key1: string; key2: string };
}

export interface CosmosAccountResource {
  kind: "cosmos";
  id: string;
  name: string;
  location: string;
  keys: {
    primaryMasterKey: string;
    secondaryMasterKey: string;
    primaryReadonlyMasterKey: string;
    secondaryReadonlyMasterKey: string;
  };
}

export interface RedisCacheResource {
  kind: "redis";
  id: string;
  name: string;
  location: string;
  keys: { primaryKey: string; secondaryKey: string };
}

export type ArmResource =
  | SqlServerResource
  | StorageAccountResource
  | CosmosAccountResource
  | RedisCacheResource
  | SiteResource
  | ConsumerResource;

/** The subscription of resources added without one. */
export const DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

export const RESOURCE_TYPES = {
  sql: "Microsoft.Sql/servers",
  storage: "Microsoft.Storage/storageAccounts",
  cosmos: "Microsoft.DocumentDB/databaseAccounts",
  redis: "Microsoft.Cache/redis",
  site: "Microsoft.Web/sites",
  apimNamedValue: "Microsoft.ApiManagement/service/namedValues",
  containerApp: "Microsoft.App/containerApps",
  appConfigKeyValue: "Microsoft.AppConfiguration/configurationStores/keyValues",
} as const;

/** A new access key: 64 random bytes base64 (storage, Cosmos) or 32 (Redis), as the services hand out. */
export function newKey(bytes = 64): string {
  return randomBytes(bytes).toString("base64");
}

/** The resource's ARM representation: never a password or key (those come from listKeys only). */
export function armView(resource: ArmResource): Record<string, unknown> {
  const base = {
    id: resource.id,
    name: resource.name,
    type: RESOURCE_TYPES[resource.kind],
    location: resource.location,
  };
  switch (resource.kind) {
    case "sql":
      return {
        ...base,
        kind: "v12.0",
        properties: {
          administratorLogin: resource.administratorLogin,
          version: "12.0",
          state: "Ready",
          fullyQualifiedDomainName: resource.fullyQualifiedDomainName,
          publicNetworkAccess: "Enabled",
        },
      };
    case "storage":
      return {
        ...base,
        kind: "StorageV2",
        sku: { name: "Standard_LRS" },
        properties: { provisioningState: "Succeeded" },
      };
    case "cosmos":
      return {
        ...base,
        kind: "GlobalDocumentDB",
        properties: {
          provisioningState: "Succeeded",
          documentEndpoint: `https://${resource.name}.documents.azure.com:443/`,
        },
      };
    case "redis":
      return {
        ...base,
        properties: {
          provisioningState: "Succeeded",
          hostName: `${resource.name}.redis.cache.windows.net`,
          sslPort: 6380,
        },
      };
    case "apimNamedValue":
    case "containerApp":
    case "appConfigKeyValue":
      return consumerView(resource);
    case "site":
      return {
        ...base,
        kind: "app",
        properties: { state: "Running", defaultHostName: `${resource.name}.azurewebsites.net` },
      };
  }
}
