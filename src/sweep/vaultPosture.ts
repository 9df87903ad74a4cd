/**
 * A vault's posture against the Azure Policy built-in definitions for Key Vault itself (management plane),
 * from its ARM properties and diagnostic settings. Pure: the ARM reads are in readVaultPosture.ts.
 */
export type CheckStatus = "pass" | "fail" | "unknown";

export interface PostureCheck {
  name: string;
  title: string;
  definitionIds: string[];
  status: CheckStatus;
  detail: string;
  /** What to change, for a failing check. */
  fix?: string;
}

export interface VaultPosture {
  vault: string;
  resourceId?: string;
  checks: PostureCheck[];
  /** Why the checks could not be made (no resource ID, ARM refused), when they could not. */
  error?: string;
}

/** The ARM properties the checks read (`Microsoft.KeyVault/vaults`, properties). */
export interface VaultProperties {
  enableSoftDelete?: boolean;
  enablePurgeProtection?: boolean;
  enableRbacAuthorization?: boolean;
  publicNetworkAccess?: string;
  networkAcls?: { defaultAction?: string };
  privateEndpointConnections?: { privateLinkServiceConnectionState?: { status?: string } }[];
}

/** One diagnostic setting (`Microsoft.Insights/diagnosticSettings`), as the monitor client returns it. */
export interface DiagnosticSetting {
  name?: string;
  workspaceId?: string;
  storageAccountId?: string;
  eventHubAuthorizationRuleId?: string;
  logs?: {
    category?: string | null;
    categoryGroup?: string | null;
    enabled: boolean;
    retentionPolicy?: { enabled: boolean; days: number };
  }[];
}

export const POSTURE_CHECKS = [
  {
    name: "soft-delete",
    title: "Key vaults should have soft delete enabled",
    id: "1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d",
  },
  {
    name: "purge-protection",
    title: "Key vaults should have deletion protection enabled",
    id: "0b60c0b2-2dc2-4e1c-b5c9-abbed971de53",
  },
  {
    name: "rbac",
    title: "Azure Key Vault should use RBAC permission model",
    id: "12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5",
  },
  {
    name: "firewall",
    title: "Azure Key Vault should have firewall enabled or public network access disabled",
    id: "55615ac9-af46-4a59-874e-391cc3dfb490",
  },
  {
    name: "public-network-disabled",
    title: "Azure Key Vault should disable public network access",
    id: "405c5871-3e91-4644-8a63-58e19d68ff5b",
  },
  {
    name: "private-link",
    title: "Azure Key Vaults should use private link",
    id: "a6abeaec-4d90-4a02-805f-6b26c4d3fbe9",
  },
  {
    name: "resource-logs",
    title: "Resource logs in Key Vault should be enabled",
    id: "cf820ca0-f99e-4f3e-84fb-66e913812d21",
  },
] as const;
export type PostureCheckName = (typeof POSTURE_CHECKS)[number]["name"];

const AUDIT_LOGS = new Set(["auditevent", "audit", "alllogs"]);

function check(name: PostureCheckName, pass: boolean, detail: string, fix: string): PostureCheck {
  const c = POSTURE_CHECKS.find((p) => p.name === name) as (typeof POSTURE_CHECKS)[number];
  return {
    name,
    title: c.title,
    definitionIds: [c.id],
    status: pass ? "pass" : "fail",
    detail,
    ...(pass ? {} : { fix }),
  };
}

/** The vault checks from its properties (undefined: they could not be read) and diagnostic settings. */
export function evaluateVaultPosture(
  vault: string,
  resourceId: string,
  props: VaultProperties | undefined,
  diagnostics: DiagnosticSetting[] | undefined,
  requiredRetentionDays: number,
  errors: { vault?: string; diagnostics?: string } = {},
): PostureCheck[] {
  const update = `az keyvault update --name ${vault}`;
  const checks: PostureCheck[] = [];
  if (props) {
    // Soft delete cannot be turned off any more; only vaults made before 2020 may lack it (`false`).
    checks.push(
      check(
        "soft-delete",
        props.enableSoftDelete !== false,
        props.enableSoftDelete === false ? "soft delete is off" : "soft delete is on",
        `${update} --enable-soft-delete true`,
      ),
      check(
        "purge-protection",
        props.enablePurgeProtection === true,
        props.enablePurgeProtection === true
          ? "purge protection is on"
          : "purge protection is off: a deleted secret can be purged at once",
        `${update} --enable-purge-protection true (cannot be undone)`,
      ),
      check(
        "rbac",
        props.enableRbacAuthorization === true,
        props.enableRbacAuthorization === true ? "Azure RBAC permission model" : "vault access policies",
        `grant the roles that replace each access policy (README, Roles), then ${update} --enable-rbac-authorization true`,
      ),
    );
    const publicDisabled = props.publicNetworkAccess?.toLowerCase() === "disabled";
    const deny = props.networkAcls?.defaultAction?.toLowerCase() === "deny";
    const network = publicDisabled
      ? "public network access disabled"
      : `public network access enabled, firewall default action ${props.networkAcls?.defaultAction ?? "Allow"}`;
    checks.push(
      check(
        "firewall",
        publicDisabled || deny,
        network,
        `${update} --default-action Deny (and allow what must reach it: az keyvault network-rule add), or --public-network-access Disabled`,
      ),
      check(
        "public-network-disabled",
        publicDisabled,
        network,
        `${update} --public-network-access Disabled, after giving its clients a private endpoint (the template's privateEndpointSubnetId)`,
      ),
    );
    const approved = (props.privateEndpointConnections ?? []).filter(
      (c) => c.privateLinkServiceConnectionState?.status?.toLowerCase() === "approved",
    ).length;
    checks.push(
      check(
        "private-link",
        approved > 0,
        `${approved} approved private endpoint connection${approved === 1 ? "" : "s"}`,
        "add a private endpoint for the vault (group 'vault') in the clients' VNet: the template does with privateEndpointSubnetId and vaultPrivateDnsZoneId",
      ),
    );
  } else {
    for (const c of POSTURE_CHECKS.filter((p) => p.name !== "resource-logs"))
      checks.push({
        name: c.name,
        title: c.title,
        definitionIds: [c.id],
        status: "unknown",
        detail: `the vault's properties could not be read: ${errors.vault ?? "no answer"}`,
      });
  }
  const logs = POSTURE_CHECKS[6];
  if (diagnostics) {
    const retained = (r?: { enabled: boolean; days: number }): boolean =>
      !r || !r.enabled || r.days === 0 || r.days >= requiredRetentionDays;
    const good = diagnostics.filter(
      (d) =>
        (d.workspaceId || d.storageAccountId || d.eventHubAuthorizationRuleId) &&
        (d.logs ?? []).some(
          (l) =>
            l.enabled &&
            AUDIT_LOGS.has((l.category ?? l.categoryGroup ?? "").toLowerCase()) &&
            retained(l.retentionPolicy),
        ),
    );
    checks.push(
      check(
        "resource-logs",
        good.length > 0,
        good.length > 0
          ? `AuditEvent logs sent by ${good.map((d) => d.name ?? "?").join(", ")}`
          : diagnostics.length === 0
            ? "no diagnostic setting"
            : `no diagnostic setting sends AuditEvent logs kept at least ${requiredRetentionDays} days`,
        `az monitor diagnostic-settings create --resource ${resourceId} --name akv-audit --workspace <Log Analytics workspace ID> --logs '[{"category":"AuditEvent","enabled":true}]' (the template does this for its vaults)`,
      ),
    );
  } else {
    checks.push({
      name: logs.name,
      title: logs.title,
      definitionIds: [logs.id],
      status: "unknown",
      detail: `the diagnostic settings could not be read: ${errors.diagnostics ?? "no answer"}`,
    });
  }
  return checks;
}

/** Whether any check of any vault failed (or could not be made). */
export function postureNeedsAttention(posture: VaultPosture[]): boolean {
  return posture.some((v) => v.error !== undefined || v.checks.some((c) => c.status !== "pass"));
}
