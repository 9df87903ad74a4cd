// Alerts that reach the people on call: an action group (e-mail receivers from a parameter), log alert rules on the
// app's Log Analytics workspace, and a saved query for each, plus the storage logs that show dead-lettered events.
// The signals (log lines and tables) each rule reads are named in the README, "Monitoring and alerts".
param location string
param tags object
param suffix string
param workspaceName string
param storageAccountName string
param alertEmailAddresses array

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' existing = {
  name: workspaceName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' existing = {
  parent: storage
  name: 'default'
}

// Blob writes (StorageBlobLogs): Event Grid's dead letters land in the 'deadletters' container.
resource blobLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: blobService
  name: 'akv-rotator-blob-writes'
  properties: {
    workspaceId: workspace.id
    logs: [{ category: 'StorageWrite', enabled: true }]
  }
}

resource onCall 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-akv-rotator-${suffix}'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'akvrotator'
    enabled: true
    emailReceivers: [
      for (address, i) in alertEmailAddresses: {
        name: 'on-call-${i}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
  }
}

var alerts = [
  {
    name: 'rotation-failed'
    displayName: 'akv-rotator: a rotation failed'
    severity: 1
    query: 'AppTraces | where Message startswith "rotation failed" | project TimeGenerated, Message, AppRoleName'
  }
  {
    name: 'secrets-need-attention'
    displayName: 'akv-rotator: the sweep found expired or misconfigured secrets'
    severity: 2
    query: 'AppTraces | where Message startswith "sweep needs attention" | project TimeGenerated, Message'
  }
  {
    name: 'events-dead-lettered'
    displayName: 'akv-rotator: Key Vault events were dead-lettered'
    severity: 2
    query: 'StorageBlobLogs | where OperationName == "PutBlob" and Uri has "/deadletters/" | project TimeGenerated, Uri, StatusCode'
  }
  {
    name: 'consumers-stale'
    displayName: 'akv-rotator: consumers still use a replaced secret version'
    severity: 2
    query: 'AppTraces | where Message startswith "consumer stale" | project TimeGenerated, Message'
  }
  {
    name: 'vault-unauthorized'
    displayName: 'akv-rotator: unauthorized access attempts on the vaults'
    severity: 1
    query: 'union isfuzzy=true (AKVAuditLogs | project TimeGenerated, Resource = _ResourceId, OperationName, Status = toint(HttpStatusCode), Caller = CallerIpAddress), (AzureDiagnostics | where ResourceProvider == "MICROSOFT.KEYVAULT" and Category == "AuditEvent" | project TimeGenerated, Resource = _ResourceId, OperationName, Status = toint(httpStatusCode_d), Caller = CallerIPAddress) | where Status in (401, 403) | summarize Forbidden = countif(Status == 403), Unauthorized = countif(Status == 401) by Resource, Caller | where Forbidden > 0 or Unauthorized > 20'
  }
]

resource savedQueries 'Microsoft.OperationalInsights/workspaces/savedSearches@2023-09-01' = [
  for a in alerts: {
    parent: workspace
    name: 'akv-rotator-${a.name}'
    properties: {
      category: 'akv-rotator'
      displayName: a.displayName
      query: a.query
      version: 2
    }
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for a in alerts: {
    name: 'akv-rotator-${a.name}-${suffix}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: a.displayName
      severity: a.severity
      enabled: true
      evaluationFrequency: 'PT15M'
      windowSize: 'PT15M'
      scopes: [workspace.id]
      criteria: {
        allOf: [
          {
            query: a.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      autoMitigate: false
      actions: { actionGroups: [onCall.id] }
    }
  }
]

output actionGroupId string = onCall.id
