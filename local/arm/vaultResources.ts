import type { ServerResponse } from "node:http";
import { sendJson } from "../net/jsonHttp.js";

/** An emulated vault's management-plane settings: what the posture checks read. */
export interface EmulatedVault {
  id: string;
  name: string;
  location: string;
  softDelete: boolean;
  purgeProtection: boolean;
  rbac: boolean;
  publicNetworkAccess: "Enabled" | "Disabled";
  firewallDefaultAction: "Allow" | "Deny";
  /** Private endpoint connections by their state (`Approved`, `Pending`, ...). */
  privateEndpoints: string[];
  diagnosticSettings: EmulatedDiagnosticSetting[];
}

export interface EmulatedDiagnosticSetting {
  name: string;
  /** A Log Analytics workspace resource ID, or none. */
  workspaceId?: string;
  logs: { category?: string; categoryGroup?: string; enabled: boolean; retentionDays?: number }[];
}

const VAULT_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)(\/providers\/Microsoft\.Insights\/diagnosticSettings)?$/i;

/**
 * `Microsoft.KeyVault/vaults` (Vaults - Get) and their `Microsoft.Insights/diagnosticSettings` (Diagnostic
 * Settings - List) for the ARM emulator, in the wire shapes of the REST references: Key Vault management
 * 2023-07-01 (`properties.enableSoftDelete`, `enablePurgeProtection` omitted when off as ARM does,
 * `enableRbacAuthorization`, `publicNetworkAccess`, `networkAcls.defaultAction`,
 * `privateEndpointConnections[].properties.privateLinkServiceConnectionState.status`) and Monitor
 * diagnostic settings (`value[].properties.logs[]` with `category`/`categoryGroup`, `enabled`,
 * `retentionPolicy {enabled, days}`, `workspaceId`). Read only: no vault is created or changed through ARM.
 */
export class VaultResources {
  private readonly vaults = new Map<string, EmulatedVault>();

  add(
    v: Partial<EmulatedVault> & { name: string; subscriptionId?: string; resourceGroup?: string },
  ): EmulatedVault {
    const id = `/subscriptions/${v.subscriptionId ?? "00000000-0000-0000-0000-000000000000"}/resourceGroups/${v.resourceGroup ?? "local"}/providers/Microsoft.KeyVault/vaults/${v.name}`;
    const vault: EmulatedVault = {
      id,
      name: v.name,
      location: v.location ?? "westeurope",
      softDelete: v.softDelete ?? true,
      purgeProtection: v.purgeProtection ?? true,
      rbac: v.rbac ?? true,
      publicNetworkAccess: v.publicNetworkAccess ?? "Disabled",
      firewallDefaultAction: v.firewallDefaultAction ?? "Deny",
      privateEndpoints: v.privateEndpoints ?? ["Approved"],
      diagnosticSettings: v.diagnosticSettings ?? [
        {
          name: "akv-audit",
          workspaceId: `/subscriptions/${v.subscriptionId ?? "00000000-0000-0000-0000-000000000000"}/resourceGroups/local/providers/Microsoft.OperationalInsights/workspaces/logs`,
          logs: [{ category: "AuditEvent", enabled: true }],
        },
      ],
    };
    this.vaults.set(id.toLowerCase(), vault);
    return vault;
  }

  get(id: string): EmulatedVault | undefined {
    return this.vaults.get(id.toLowerCase());
  }

  /** Whether the path is a vault's or its diagnostic settings'. */
  handles(pathname: string): boolean {
    return VAULT_PATH.test(pathname);
  }

  /** Answers a request `handles` accepted; `allowed` is the emulator's authorization for an ARM action. */
  answer(
    res: ServerResponse,
    method: string,
    pathname: string,
    allowed: (action: string, scope: string) => boolean,
  ): void {
    const [, subscriptionId, resourceGroup, name, diagnostics] = VAULT_PATH.exec(pathname) as unknown as [
      string,
      string,
      string,
      string,
      string | undefined,
    ];
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.KeyVault/vaults/${name}`;
    const vault = this.get(id);
    if (method !== "GET")
      return sendJson(res, 405, {
        error: { code: "MethodNotAllowed", message: `${method} is not supported here` },
      });
    if (!vault)
      return sendJson(res, 404, {
        error: {
          code: "ResourceNotFound",
          message: `The Resource 'Microsoft.KeyVault/vaults/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
        },
      });
    const action = diagnostics
      ? "Microsoft.Insights/diagnosticSettings/read"
      : "Microsoft.KeyVault/vaults/read";
    if (!allowed(action, vault.id))
      return sendJson(res, 403, {
        error: {
          code: "AuthorizationFailed",
          message: `The client does not have authorization to perform action '${action}' over scope '${vault.id}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
        },
      });
    return sendJson(res, 200, diagnostics ? diagnosticsView(vault) : vaultView(vault));
  }
}

function vaultView(v: EmulatedVault): Record<string, unknown> {
  return {
    id: v.id,
    name: v.name,
    type: "Microsoft.KeyVault/vaults",
    location: v.location,
    tags: {},
    properties: {
      sku: { family: "A", name: "standard" },
      tenantId: "00000000-0000-0000-0000-000000000000",
      accessPolicies: [],
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      enableSoftDelete: v.softDelete,
      softDeleteRetentionInDays: 90,
      enableRbacAuthorization: v.rbac,
      // ARM leaves enablePurgeProtection out unless it is on (it can never be turned off).
      ...(v.purgeProtection ? { enablePurgeProtection: true } : {}),
      vaultUri: `https://${v.name}.vault.azure.net/`,
      provisioningState: "Succeeded",
      publicNetworkAccess: v.publicNetworkAccess,
      networkAcls: {
        bypass: "AzureServices",
        defaultAction: v.firewallDefaultAction,
        ipRules: [],
        virtualNetworkRules: [],
      },
      privateEndpointConnections: v.privateEndpoints.map((status, i) => ({
        id: `${v.id}/privateEndpointConnections/pe-${i}`,
        properties: {
          provisioningState: "Succeeded",
          privateEndpoint: {
            id: `${v.id.split("/providers/")[0]}/providers/Microsoft.Network/privateEndpoints/pe-${i}`,
          },
          privateLinkServiceConnectionState: { status, description: "", actionsRequired: "None" },
        },
      })),
    },
  };
}

function diagnosticsView(v: EmulatedVault): Record<string, unknown> {
  return {
    value: v.diagnosticSettings.map((d) => ({
      id: `${v.id}/providers/microsoft.insights/diagnosticSettings/${d.name}`,
      type: "Microsoft.Insights/diagnosticSettings",
      name: d.name,
      location: null,
      properties: {
        ...(d.workspaceId ? { workspaceId: d.workspaceId } : {}),
        logs: d.logs.map((l) => ({
          category: l.category ?? null,
          categoryGroup: l.categoryGroup ?? null,
          enabled: l.enabled,
          retentionPolicy: { enabled: l.retentionDays !== undefined, days: l.retentionDays ?? 0 },
        })),
        metrics: [{ category: "AllMetrics", enabled: false, retentionPolicy: { enabled: false, days: 0 } }],
        logAnalyticsDestinationType: null,
      },
    })),
  };
}
