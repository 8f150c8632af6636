// Key Vault holding the app's secrets. Access is by Azure RBAC only (no access policies).
//
// Secrets the app reads (names only; the template never carries their values):
//   alpaca-client-secret  - the Alpaca OAuth app's client secret
//   token-encryption-key  - base64 of 32 random bytes (e.g. `openssl rand -base64 32`)
//   link-signing-secret   - random secret used to sign connect links
// Set them after deployment, e.g.
//   az keyvault secret set --vault-name <vault> --name token-encryption-key --value "$(openssl rand -base64 32)"

@description('Azure region for the key vault.')
param location string

@description('Tags applied to the key vault.')
param tags object

@description('Key vault name (3-24 chars: letters, digits, hyphens; starts with a letter; globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Days a deleted vault or secret stays recoverable (7-90). Fixed once the vault exists.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('Turn on purge protection: deleted secrets/vault cannot be purged before the retention ends. Cannot be turned off once on.')
param enablePurgeProtection bool

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The service rejects an explicit `false` once purge protection is on, so leave it unset when off.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

@description('Name of the key vault.')
output name string = vault.name

@description('Vault URI, e.g. https://kv-xxxx.vault.azure.net/')
output uri string = vault.properties.vaultUri
