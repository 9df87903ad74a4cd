// For a vault closed to public access: a private endpoint for it in the app's integration VNet, registered in
// an existing privatelink.vaultcore.azure.net DNS zone linked to that VNet.
param vaultName string
param vaultResourceGroup string
param location string
param subnetId string
param privateDnsZoneId string

resource vault 'Microsoft.KeyVault/vaults@2026-02-01' existing = {
  name: vaultName
  scope: resourceGroup(vaultResourceGroup)
}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'pe-${vaultName}-akv-rotator'
  location: location
  properties: {
    subnet: { id: subnetId }
    privateLinkServiceConnections: [
      {
        name: 'vault'
        properties: { privateLinkServiceId: vault.id, groupIds: ['vault'] }
      }
    ]
  }
}

resource dnsGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [{ name: 'vaultcore', properties: { privateDnsZoneId: privateDnsZoneId } }]
  }
}
