// One vault's monitoring: its resource logs (the AuditEvent category, through the 'audit' category group) to the
// app's Log Analytics workspace in resource-specific tables (AKVAuditLogs), and 'Reader' for the app's identity on
// this vault only, so the sweep can read the vault's posture (properties and diagnostic settings), nothing more.
param vaultName string
param principalId string
param workspaceId string

var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

resource vault 'Microsoft.KeyVault/vaults@2026-02-01' existing = {
  name: vaultName
}

resource auditLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: vault
  name: 'akv-rotator-audit'
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [{ categoryGroup: 'audit', enabled: true }]
  }
}

resource postureReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, principalId, reader)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', reader)
  }
}
