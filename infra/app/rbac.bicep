// Role assignments: what the function app's system-assigned identity (and,
// optionally, the person deploying) may do. Every assignment is scoped to the
// one resource it is about, never the resource group.
//
// Role definition IDs are Azure built-in role IDs, the same in every tenant.

@description('Name of the storage account used by the Functions host and for deployment packages.')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Name of the key vault holding the app\'s secrets.')
@minLength(3)
@maxLength(24)
param keyVaultName string

@description('Name of the Application Insights component the app sends telemetry to.')
param applicationInsightsName string

@description('Object (principal) ID of the function app\'s system-assigned identity.')
param appPrincipalId string

@description('Object ID of the user/service principal/group deploying the template, granted Key Vault Secrets Officer so they can set the secrets. Empty: no such assignment.')
param deployerPrincipalId string

var roles = {
  // Storage Blob Data Owner: the Functions host keeps its leases, timer-trigger
  // schedule status and keys in blob containers it creates itself, and the
  // Flex Consumption platform reads the deployment package from the deployment
  // container with this identity (functionAppConfig authentication
  // SystemAssignedIdentity). Owner (not Contributor) is what the Functions
  // docs require for AzureWebJobsStorage with a managed identity.
  storageBlobDataOwner: {
    name: 'Storage Blob Data Owner'
    id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  }
  // Storage Queue Data Contributor: queue triggers and output bindings on
  // AzureWebJobsStorage (read, add, delete messages; create queues, including
  // the poison queues the host creates).
  storageQueueDataContributor: {
    name: 'Storage Queue Data Contributor'
    id: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  }
  // Storage Table Data Contributor: the app keeps its state in Azure Tables
  // (Azure.Data.Tables) on the same account; Contributor also lets it create
  // the tables it needs.
  storageTableDataContributor: {
    name: 'Storage Table Data Contributor'
    id: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  }
  // Key Vault Secrets User: the app reads alpaca-client-secret,
  // token-encryption-key and link-signing-secret at run time. Read only: the
  // app never writes secrets.
  keyVaultSecretsUser: {
    name: 'Key Vault Secrets User'
    id: '4633458b-17de-408a-b874-0445c86b69e6'
  }
  // Monitoring Metrics Publisher: lets the Functions host send telemetry to
  // Application Insights with its identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING
  // = Authorization=AAD), which keeps working if local (key) auth is disabled.
  monitoringMetricsPublisher: {
    name: 'Monitoring Metrics Publisher'
    id: '3913510d-42f4-4e42-8a64-420c390055eb'
  }
  // Key Vault Secrets Officer (deployer only, optional): lets the person who
  // deploys create and rotate the three secrets. The vault uses RBAC only, so
  // without this even a subscription Owner cannot write secrets until granted
  // a data-plane role.
  keyVaultSecretsOfficer: {
    name: 'Key Vault Secrets Officer'
    id: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Storage Blob Data Owner (b7e6dc6d-...) for the app on the storage account:
// host blobs + reading the Flex deployment package.
resource appBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageBlobDataOwner.id)
  scope: storage
  properties: {
    description: 'Function app identity: ${roles.storageBlobDataOwner.name} (host storage and deployment package)'
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner.id)
  }
}

// Storage Queue Data Contributor (974c5e8b-...) for the app on the storage account: queue triggers/bindings.
resource appQueueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageQueueDataContributor.id)
  scope: storage
  properties: {
    description: 'Function app identity: ${roles.storageQueueDataContributor.name} (queue triggers and bindings)'
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor.id)
  }
}

// Storage Table Data Contributor (0a9a7e1f-...) for the app on the storage account: app state in tables.
resource appTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageTableDataContributor.id)
  scope: storage
  properties: {
    description: 'Function app identity: ${roles.storageTableDataContributor.name} (app state tables)'
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor.id)
  }
}

// Key Vault Secrets User (4633458b-...) for the app on the vault: read its three secrets.
resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, roles.keyVaultSecretsUser.id)
  scope: vault
  properties: {
    description: 'Function app identity: ${roles.keyVaultSecretsUser.name} (read app secrets)'
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser.id)
  }
}

// Monitoring Metrics Publisher (3913510d-...) for the app on Application Insights: Entra-authenticated telemetry.
resource appMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, roles.monitoringMetricsPublisher.id)
  scope: applicationInsights
  properties: {
    description: 'Function app identity: ${roles.monitoringMetricsPublisher.name} (telemetry with Entra ID)'
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher.id)
  }
}

// Key Vault Secrets Officer (b86a8fe4-...) for the deployer on the vault, only when a principal ID is given:
// set and rotate the app's secrets. principalType is left out so that a user,
// a service principal (CI) or a group all work.
resource deployerSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, roles.keyVaultSecretsOfficer.id)
  scope: vault
  properties: {
    description: 'Deployer: ${roles.keyVaultSecretsOfficer.name} (set the app secrets)'
    principalId: deployerPrincipalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer.id)
  }
}

@description('Role assignments made, as "<role name> (<role id>) -> <principal>".')
output assignments array = concat(
  [
    '${roles.storageBlobDataOwner.name} (${roles.storageBlobDataOwner.id}) -> function app on ${storage.name}'
    '${roles.storageQueueDataContributor.name} (${roles.storageQueueDataContributor.id}) -> function app on ${storage.name}'
    '${roles.storageTableDataContributor.name} (${roles.storageTableDataContributor.id}) -> function app on ${storage.name}'
    '${roles.keyVaultSecretsUser.name} (${roles.keyVaultSecretsUser.id}) -> function app on ${vault.name}'
    '${roles.monitoringMetricsPublisher.name} (${roles.monitoringMetricsPublisher.id}) -> function app on ${applicationInsights.name}'
  ],
  empty(deployerPrincipalId)
    ? []
    : ['${roles.keyVaultSecretsOfficer.name} (${roles.keyVaultSecretsOfficer.id}) -> deployer on ${vault.name}']
)
