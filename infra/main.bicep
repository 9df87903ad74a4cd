// akv-rotator: a Flex Consumption function app (Node 22) with a user-assigned managed identity, identity-based
// storage, Application Insights, an Event Grid custom topic for audit events, and the least-privilege roles it
// needs on each vault and (optionally) on each rotation target. Event subscriptions are created after the code
// is deployed (infra/eventSubscriptions.bicep, run by the azd postdeploy hook).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region of the app and its resources.')
param location string

@description('Vaults to rotate: [{ name, resourceGroup }]. Each must use Azure RBAC (see the README for access policies).')
param vaults array

@description('NCRONTAB schedule of the compliance sweep.')
param sweepSchedule string = '0 0 3 * * *'

@description('NCRONTAB schedule of the frequent timer that runs scheduled rotations (RotationSchedule, RotationWindow).')
param scheduledRotationSchedule string = '0 */15 * * * *'

@description('App role the HTTP API requires; when set, App Service Authentication (Entra ID, authClientId) is turned on. Empty for function keys only.')
param httpRequiredRole string = ''

@description('Client id of the Entra app registration App Service Authentication validates callers against; required with httpRequiredRole.')
param authClientId string = ''

@description('More targets secrets may be bound to (AKV_ROTATOR_ALLOWED_TARGETS entries: host:port patterns, applications/{objectId}, ARM scopes); the resource IDs above are always included.')
param allowedTargets array = []

@description('Storage accounts whose keys the storage-key rotator regenerates (resource IDs).')
param storageAccountIds array = []

@description('SQL servers whose administrator password the sql-admin rotator changes (resource IDs).')
param sqlServerIds array = []

@description('Cosmos DB accounts whose keys the cosmos-key rotator regenerates (resource IDs).')
param cosmosAccountIds array = []

@description('Azure Cache for Redis instances whose keys the redis-key rotator regenerates (resource IDs).')
param redisCacheIds array = []

@description('E-mail addresses of the people on call: the alerts (failed rotations, secrets needing attention, dead-lettered events, stale consumers, unauthorized vault access) reach them.')
param alertEmailAddresses array = []

@description('Subnet for VNet integration (vaults and targets closed to public access); empty for none.')
param virtualNetworkSubnetId string = ''

@description('Subnet for private endpoints to the vaults (vaults closed to public access); empty for none.')
param privateEndpointSubnetId string = ''

@description('Existing privatelink.vaultcore.azure.net private DNS zone (resource ID) linked to the VNet; required with privateEndpointSubnetId.')
param vaultPrivateDnsZoneId string = ''

var tags = { 'azd-env-name': environmentName, app: 'akv-rotator' }
var suffix = uniqueString(subscription().id, environmentName)

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-akv-rotator-${environmentName}'
  location: location
  tags: tags
}

module app 'modules/functionApp.bicep' = {
  scope: rg
  name: 'akv-rotator-app'
  params: {
    location: location
    tags: tags
    suffix: suffix
    keyVaultUris: join(map(vaults, v => '${v.name}=https://${v.name}${environment().suffixes.keyvaultDns}'), ',')
    keyVaultResourceIds: join(map(vaults, v => '/subscriptions/${subscription().subscriptionId}/resourceGroups/${v.resourceGroup}/providers/Microsoft.KeyVault/vaults/${v.name}'), ',')
    sweepSchedule: sweepSchedule
    scheduledRotationSchedule: scheduledRotationSchedule
    httpRequiredRole: httpRequiredRole
    authClientId: authClientId
    // The resources the app gets roles on are the ones secrets may be bound to, plus what the operator adds.
    allowedTargets: join(concat(storageAccountIds, sqlServerIds, cosmosAccountIds, redisCacheIds, allowedTargets), ',')
    virtualNetworkSubnetId: virtualNetworkSubnetId
  }
}

module vaultAccess 'modules/vaultAccess.bicep' = [
  for v in vaults: {
    scope: resourceGroup(v.resourceGroup)
    name: 'akv-rotator-vault-${v.name}'
    params: {
      vaultName: v.name
      principalId: app.outputs.principalId
    }
  }
]

module vaultMonitoring 'modules/vaultMonitoring.bicep' = [
  for v in vaults: {
    scope: resourceGroup(v.resourceGroup)
    name: 'akv-rotator-monitor-${v.name}'
    params: {
      vaultName: v.name
      principalId: app.outputs.principalId
      workspaceId: app.outputs.logAnalyticsWorkspaceId
    }
  }
]

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  name: 'akv-rotator-monitoring'
  params: {
    location: location
    tags: tags
    suffix: suffix
    workspaceName: app.outputs.logAnalyticsWorkspaceName
    storageAccountName: app.outputs.storageAccountName
    alertEmailAddresses: alertEmailAddresses
  }
}

module vaultEndpoints 'modules/vaultPrivateEndpoint.bicep' = [
  for v in (empty(privateEndpointSubnetId) ? [] : vaults): {
    scope: rg
    name: 'akv-rotator-pe-${v.name}'
    params: {
      vaultName: v.name
      vaultResourceGroup: v.resourceGroup
      location: location
      subnetId: privateEndpointSubnetId
      privateDnsZoneId: vaultPrivateDnsZoneId
    }
  }
]

module storageKeyAccess 'modules/targetAccess.bicep' = [
  for id in storageAccountIds: {
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    name: 'akv-rotator-storage-${uniqueString(id)}'
    params: { targetId: id, kind: 'storage', principalId: app.outputs.principalId }
  }
]

module sqlAdminAccess 'modules/targetAccess.bicep' = [
  for id in sqlServerIds: {
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    name: 'akv-rotator-sql-${uniqueString(id)}'
    params: { targetId: id, kind: 'sql', principalId: app.outputs.principalId }
  }
]

module cosmosKeyAccess 'modules/targetAccess.bicep' = [
  for id in cosmosAccountIds: {
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    name: 'akv-rotator-cosmos-${uniqueString(id)}'
    params: { targetId: id, kind: 'cosmos', principalId: app.outputs.principalId }
  }
]

module redisKeyAccess 'modules/targetAccess.bicep' = [
  for id in redisCacheIds: {
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    name: 'akv-rotator-redis-${uniqueString(id)}'
    params: { targetId: id, kind: 'redis', principalId: app.outputs.principalId }
  }
]

output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.functionAppName
output AZURE_FUNCTION_APP_ID string = app.outputs.functionAppId
output AZURE_IDENTITY_ID string = app.outputs.identityId
output AZURE_DEADLETTER_CONTAINER_ID string = app.outputs.deadLetterContainerId
output AUDIT_TOPIC_ENDPOINT string = app.outputs.auditTopicEndpoint
output AKV_ROTATOR_VAULTS string = string(vaults)
