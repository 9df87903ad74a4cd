import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * No Bicep compiler installs from the package registries here, so the templates are checked as text: the
 * role definition IDs against the built-in roles they claim to be, the least privilege of each assignment,
 * the Event Grid subscription's types, filter, retries and dead-lettering, the app's settings against the
 * ones the code reads, and every parameter against the README. What this does not check: Bicep syntax and
 * types, that each API version exists, or that Azure accepts the deployment (that takes `az bicep build` / `azd provision`).
 */
const read = (p: string): string => readFileSync(path.join("infra", p), "utf8");
const main = read("main.bicep");
const app = read("modules/functionApp.bicep");
const vault = read("modules/vaultAccess.bicep");
const events = read("eventSubscriptions.bicep");
const monitoring = read("modules/monitoring.bicep");
const vaultMonitoring = read("modules/vaultMonitoring.bicep");
/** Every .bicep file under infra/ (the API version check must see the modules added later too). */
const bicepFiles = (dir: string): string[] =>
  readdirSync(path.join("infra", dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? bicepFiles(path.join(dir, e.name))
      : e.name.endsWith(".bicep")
        ? [path.join(dir, e.name)]
        : [],
  );
const all = bicepFiles("").map(read).join("\n");

/** Built-in roles (Azure RBAC documentation): name -> role definition ID. */
const BUILT_IN = {
  "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
  "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
  "EventGrid Data Sender": "d5a91429-5739-47e2-a06b-3470a27159e7",
  "Storage Account Key Operator Service Role": "81a9662b-bebf-436f-a333-f67b29880f12",
  "SQL Server Contributor": "6d8ee4ec-f05a-4a1d-8b00-a9b17e38b437",
  "DocumentDB Account Contributor": "5bd9cd88-fe45-4216-938b-f97437e15450",
  "Redis Cache Contributor": "e0f68234-74aa-48ed-b826-c38b57376e17",
  Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
};

describe("deployment templates (checked as text)", () => {
  it("uses exactly the intended built-in roles, and no broad ones", () => {
    const ids = new Set(all.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g));
    expect([...ids].sort()).toEqual(Object.values(BUILT_IN).sort());
    // Owner, Contributor, User Access Administrator, Key Vault Administrator: never.
    for (const broad of [
      "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
      "b24988ac-6180-42a0-ab88-20f7382dd24c",
      "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
      "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    ]) {
      expect(all).not.toContain(broad);
    }
    expect(vault).toContain(`var keyVaultSecretsOfficer = '${BUILT_IN["Key Vault Secrets Officer"]}'`);
    expect(vault).toMatch(/scope: vault\b/);
  });

  it("assigns every role on one resource, never on a resource group or subscription", () => {
    const scopes = [...all.matchAll(/roleAssignments@[\d-]+' = (?:if \([^)]*\) )?\{\s*scope: (\w+)/g)].map(
      (m) => m[1],
    );
    expect(scopes.length).toBeGreaterThanOrEqual(8);
    expect(
      scopes.every((s) =>
        [
          "storage",
          "insights",
          "auditTopic",
          "vault",
          "storageAccount",
          "sqlServer",
          "cosmosAccount",
          "redisCache",
        ].includes(s as string),
      ),
    ).toBe(true);
  });

  it("subscribes once per vault to SecretNearExpiry and SecretExpired, without prefix or suffix filters, with retries and dead letters", () => {
    expect(events).toContain(
      "includedEventTypes: ['Microsoft.KeyVault.SecretNearExpiry', 'Microsoft.KeyVault.SecretExpired']",
    );
    expect(events).not.toMatch(/subjectBeginsWith|subjectEndsWith/);
    expect(events).toContain("retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }");
    expect(events).toContain("deadLetterWithResourceIdentity");
    expect(events).toContain("functions/secretNearExpiry");
    expect(events).toContain("topicType: 'Microsoft.KeyVault.vaults'");
  });

  it("deploys a Flex Consumption Node 22 app with a user-assigned identity and no shared keys", () => {
    expect(app).toContain("sku: { name: 'FC1', tier: 'FlexConsumption' }");
    expect(app).toContain("runtime: { name: 'node', version: '22' }");
    // The runtime the template deploys is the floor package.json's engines names (and the suite runs on).
    const engines = (JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string } })
      .engines;
    expect(engines.node).toMatch(/^\^22\./);
    expect(app).toContain("type: 'UserAssigned'");
    expect(app).toContain("allowSharedKeyAccess: false");
    expect(app).toContain("disableLocalAuth: true");
    expect(all).not.toMatch(/listKeys\(|AccountKey=/);
  });

  it("sets only settings the code reads, with the audit topic and identity-based storage", () => {
    const sample = JSON.parse(readFileSync("local.settings.sample.json", "utf8")) as {
      Values: Record<string, string>;
    };
    const known = new Set([
      ...Object.keys(sample.Values),
      "AzureWebJobsStorage__accountName",
      "AzureWebJobsStorage__credential",
      "AzureWebJobsStorage__clientId",
      "APPLICATIONINSIGHTS_CONNECTION_STRING",
      "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    ]);
    const set = [...app.matchAll(/\{ name: '([A-Za-z_]+)', value:/g)].map((m) => m[1] as string);
    expect(set.filter((n) => !known.has(n))).toEqual([]);
    for (const needed of [
      "KEYVAULT_URIS",
      "AUDIT_TOPIC_ENDPOINT",
      "SWEEP_SCHEDULE",
      "AKV_ROTATOR_CREDENTIAL",
      "AZURE_CLIENT_ID",
    ])
      expect(set).toContain(needed);
  });

  it("uses current, stable API versions: none in preview, Key Vault's not retired", () => {
    const versions = [...all.matchAll(/'([\w.]+\/[\w/]+)@([\w-]+)'/g)].map((m) => ({
      type: m[1] as string,
      version: m[2] as string,
    }));
    expect(versions.length).toBeGreaterThanOrEqual(20);
    // Diagnostic settings are the one exception: their newest version is 2021-05-01-preview (the only stable
    // one, 2016-09-01, has no categoryGroup), per the Microsoft.Insights/diagnosticSettings template reference.
    expect(
      versions.filter(
        (v) =>
          v.version.includes("preview") &&
          !(v.type === "Microsoft.Insights/diagnosticSettings" && v.version === "2021-05-01-preview"),
      ),
    ).toEqual([]);
    // Key Vault's control-plane API versions before 2026-02-01 retire on 2027-02-27 (Azure Updates, Key Vault
    // API version retirement); no other resource here uses one older than 2023-08 except the roles (2022-04-01),
    // Application Insights components (2020-02-02) and action groups (2023-01-01), the newest stable versions
    // of those types, and diagnostic settings (above).
    for (const v of versions) {
      const floor = v.type.startsWith("Microsoft.KeyVault/")
        ? "2026-02-01"
        : v.type === "Microsoft.Authorization/roleAssignments"
          ? "2022-04-01"
          : v.type === "Microsoft.Insights/components"
            ? "2020-02-02"
            : v.type === "Microsoft.Insights/diagnosticSettings"
              ? "2021-05-01-preview"
              : v.type === "Microsoft.Insights/actionGroups"
                ? "2023-01-01"
                : "2023-08-01";
      expect(v.version >= floor, `${v.type}@${v.version}`).toBe(true);
    }
  });

  it("allows exactly the targets it grants roles on (plus allowedTargets), and turns on App Service Authentication with a role", () => {
    expect(app).toContain("{ name: 'AKV_ROTATOR_ALLOWED_TARGETS', value: allowedTargets }");
    expect(main).toContain(
      "allowedTargets: join(concat(storageAccountIds, sqlServerIds, cosmosAccountIds, redisCacheIds, allowedTargets), ',')",
    );
    expect(app).toContain(
      "resource authSettings 'Microsoft.Web/sites/config@2024-11-01' = if (!empty(httpRequiredRole))",
    );
    expect(app).toContain("name: 'authsettingsV2'");
    expect(app).toContain("platform: { enabled: true }");
    expect(app).toContain("unauthenticatedClientAction: 'Return401'");
  });

  it("documents every parameter of main.bicep in the README", () => {
    const readme = readFileSync("README.md", "utf8");
    const params = [...main.matchAll(/^param (\w+)/gm)].map((m) => m[1] as string);
    expect(params.length).toBeGreaterThanOrEqual(10);
    for (const p of params) expect(readme, p).toContain(`\`${p}\``);
  });

  it("can put each vault behind a private endpoint in the app's VNet", () => {
    const pe = read("modules/vaultPrivateEndpoint.bicep");
    expect(pe).toContain("groupIds: ['vault']");
    expect(pe).toContain("privateDnsZoneId: privateDnsZoneId");
    expect(main).toMatch(/for v in \(empty\(privateEndpointSubnetId\) \? \[\] : vaults\)/);
    expect(app).toContain(
      "virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId",
    );
  });

  it("wires azd: azure.yaml, parameters, and an executable postdeploy hook", () => {
    const azure = readFileSync("azure.yaml", "utf8");
    expect(azure).toMatch(/host: function/);
    expect(azure).toContain("./infra/hooks/postdeploy.sh");
    expect(statSync("infra/hooks/postdeploy.sh").mode & 0o111).not.toBe(0);
    expect(JSON.parse(read("main.parameters.json")).parameters.environmentName.value).toBe(
      "${AZURE_ENV_NAME}",
    );
    expect(readdirSync("infra/modules").sort()).toEqual([
      "functionApp.bicep",
      "monitoring.bicep",
      "targetAccess.bicep",
      "vaultAccess.bicep",
      "vaultMonitoring.bicep",
      "vaultPrivateEndpoint.bicep",
    ]);
  });

  it("sends each vault's AuditEvent logs to the app's workspace, and reads its posture with Reader on that vault only", () => {
    expect(main).toMatch(/module vaultMonitoring 'modules\/vaultMonitoring.bicep' = \[\s*for v in vaults:/);
    expect(main).toContain("workspaceId: app.outputs.logAnalyticsWorkspaceId");
    expect(vaultMonitoring).toMatch(/diagnosticSettings@2021-05-01-preview' = \{\s*scope: vault/);
    expect(vaultMonitoring).toContain("logs: [{ categoryGroup: 'audit', enabled: true }]");
    expect(vaultMonitoring).toContain("logAnalyticsDestinationType: 'Dedicated'");
    expect(vaultMonitoring).toContain(`var reader = '${BUILT_IN.Reader}'`);
    expect(vaultMonitoring).toMatch(/roleAssignments@2022-04-01' = \{\s*scope: vault/);
    // Reader appears nowhere else: never on a resource group or the subscription.
    expect(all.split(BUILT_IN.Reader).length - 1).toBe(1);
    // The app learns the vaults' resource IDs for the posture checks.
    expect(app).toContain("{ name: 'KEYVAULT_RESOURCE_IDS', value: keyVaultResourceIds }");
  });

  it("alerts the people on call for each failure signal, with a saved query for each", () => {
    expect(main).toMatch(/param alertEmailAddresses array = \[\]/);
    expect(main).toContain("alertEmailAddresses: alertEmailAddresses");
    expect(monitoring).toMatch(/for \(address, i\) in alertEmailAddresses: \{[\s\S]*?emailAddress: address/);
    const names = [...monitoring.matchAll(/^\s+name: '([a-z-]+)'\n\s+displayName:/gm)].map((m) => m[1]);
    expect(names).toEqual([
      "rotation-failed",
      "secrets-need-attention",
      "events-dead-lettered",
      "consumers-stale",
      "vault-unauthorized",
    ]);
    // Each rule and each saved query is made from the same list, and every rule notifies the action group.
    expect(monitoring).toMatch(/savedSearches@[\d-]+' = \[\s*for a in alerts:[\s\S]*?query: a\.query/);
    expect(monitoring).toMatch(/scheduledQueryRules@[\d-]+' = \[\s*for a in alerts:[\s\S]*?query: a\.query/);
    expect(monitoring).toContain("actions: { actionGroups: [onCall.id] }");
    expect(monitoring).toContain("scopes: [workspace.id]");
    // The signals the README names: the engine's and the sweep's log lines, blob writes of dead letters, and
    // the vaults' own audit logs (resource-specific and legacy tables) with 401/403.
    for (const signal of [
      'Message startswith "rotation failed"',
      'Message startswith "sweep needs attention"',
      'Uri has "/deadletters/"',
      'Message startswith "consumer stale"',
      "AKVAuditLogs",
      "AzureDiagnostics",
      "Status in (401, 403)",
      // Any 403; 401s only past the few every client's first, token-less request gets (README).
      "where Forbidden > 0 or Unauthorized > 20",
    ])
      expect(monitoring).toContain(signal);
    expect(monitoring).toContain("logs: [{ category: 'StorageWrite', enabled: true }]");
  });

  it("uses current API versions for the monitoring resources", () => {
    const versions = Object.fromEntries(
      [...(monitoring + vaultMonitoring).matchAll(/'(Microsoft\.[\w./]+)@([\w-]+)'/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    expect(versions).toMatchObject({
      "Microsoft.Insights/scheduledQueryRules": "2023-12-01",
      "Microsoft.Insights/actionGroups": "2023-01-01",
      "Microsoft.Insights/diagnosticSettings": "2021-05-01-preview",
      "Microsoft.OperationalInsights/workspaces/savedSearches": "2023-09-01",
    });
  });
});
