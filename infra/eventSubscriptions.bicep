// Run after the code is deployed (azd postdeploy): per vault, a system topic and ONE subscription to the
// function for SecretNearExpiry and SecretExpired, with Event Grid's retry policy and dead-lettering to the
// app's storage through the app's identity. No subject filter: every secret of the vault is the app's to judge
// (unmanaged ones are acknowledged), unlike per-secret prefix/suffix filters that also match other names.
param vaultName string
param location string
param functionAppId string
param identityId string
param deadLetterContainerId string

resource vault 'Microsoft.KeyVault/vaults@2026-02-01' existing = {
  name: vaultName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: 'evgst-${vaultName}'
  location: location
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: { source: vault.id, topicType: 'Microsoft.KeyVault.vaults' }
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: 'akv-rotator-near-expiry'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: ['Microsoft.KeyVault.SecretNearExpiry', 'Microsoft.KeyVault.SecretExpired']
    }
    retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
    // Event Grid authenticates to an Azure Function destination with the function's system key itself.
    destination: {
      endpointType: 'AzureFunction'
      properties: { resourceId: '${functionAppId}/functions/secretNearExpiry', maxEventsPerBatch: 1, preferredBatchSizeInKilobytes: 64 }
    }
    deadLetterWithResourceIdentity: {
      identity: { type: 'UserAssigned', userAssignedIdentity: identityId }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: { resourceId: split(deadLetterContainerId, '/blobServices/')[0], blobContainerName: 'deadletters' }
      }
    }
  }
}
