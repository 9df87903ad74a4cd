// The narrowest built-in role a rotator needs on one target, assigned on that resource only.
param targetId string
@allowed(['storage', 'sql', 'cosmos', 'redis'])
param kind string
param principalId string

var roles = {
  storage: '81a9662b-bebf-436f-a333-f67b29880f12' // Storage Account Key Operator Service Role: list and regenerate keys
  sql: '6d8ee4ec-f05a-4a1d-8b00-a9b17e38b437' // SQL Server Contributor: only where the admin password is rotated
  cosmos: '5bd9cd88-fe45-4216-938b-f97437e15450' // DocumentDB Account Contributor: list and regenerate keys
  redis: 'e0f68234-74aa-48ed-b826-c38b57376e17' // Redis Cache Contributor: list and regenerate keys
}
var name = last(split(targetId, '/'))

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-01-01' existing = if (kind == 'storage') {
  name: name
}
resource sqlServer 'Microsoft.Sql/servers@2023-08-01' existing = if (kind == 'sql') {
  name: name
}
resource cosmosAccount 'Microsoft.DocumentDB/databaseAccounts@2025-04-15' existing = if (kind == 'cosmos') {
  name: name
}
resource redisCache 'Microsoft.Cache/redis@2024-11-01' existing = if (kind == 'redis') {
  name: name
}

resource storageRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (kind == 'storage') {
  scope: storageAccount
  name: guid(targetId, principalId, roles.storage)
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storage) }
}
resource sqlRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (kind == 'sql') {
  scope: sqlServer
  name: guid(targetId, principalId, roles.sql)
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.sql) }
}
resource cosmosRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (kind == 'cosmos') {
  scope: cosmosAccount
  name: guid(targetId, principalId, roles.cosmos)
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cosmos) }
}
resource redisRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (kind == 'redis') {
  scope: redisCache
  name: guid(targetId, principalId, roles.redis)
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.redis) }
}
