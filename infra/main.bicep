metadata name = 'Alpaca Connect Functions'
metadata description = 'Flex Consumption (.NET 10 isolated) function app with identity-only storage, Key Vault (RBAC), Log Analytics and Application Insights.'

// Deploy into an existing resource group:
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json \
//     -p deployerPrincipalId=$(az ad signed-in-user show --query id -o tsv)
// or with the Azure Developer CLI (`azd up`), which substitutes ${AZURE_ENV_NAME}
// and ${AZURE_PRINCIPAL_ID} in main.parameters.json (see the azd* notes below).
//
// After the first deployment, set the three Key Vault secrets (names in the
// keyVaultSecretNames output) and register the `callbackUrl` output as the
// Alpaca OAuth app's redirect URI. See infra/README.md.
targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------
// Environment and naming
// ---------------------------------------------------------------------------

@description('Short environment name (1-20 chars: letters, digits, hyphens), e.g. "dev" or "prod". Part of every resource name, lowercased. Used unless azdEnvironmentName carries a value substituted by azd.')
@minLength(1)
@maxLength(20)
param environmentName string

@description('Set by azd from \${AZURE_ENV_NAME} in main.parameters.json. When it is empty or still the literal "\${...}" placeholder (plain `az deployment`), environmentName is used instead. Lowercased; "_", "." become "-"; cut to 20 chars.')
@maxLength(64)
param azdEnvironmentName string = ''

@description('Azure region for all resources; must offer the Flex Consumption plan (`az functionapp list-flexconsumption-locations`). Defaults to the resource group\'s region.')
@minLength(1)
param location string = resourceGroup().location

@description('Extra tags for every resource. azd-env-name is always added; the function app also gets azd-service-name=api.')
param tags object = {}

// ---------------------------------------------------------------------------
// Alpaca OAuth and app behaviour (become app settings; names below are what the app reads)
// ---------------------------------------------------------------------------

@description('Alpaca OAuth app client ID (Alpaca__ClientId). Not a secret; the client secret goes in Key Vault as alpaca-client-secret.')
@minLength(1)
@maxLength(200)
param alpacaClientId string

@description('Alpaca OAuth authorize endpoint (Alpaca__AuthorizeUrl).')
@minLength(9)
param alpacaAuthorizeUrl string = 'https://app.alpaca.markets/oauth/authorize'

@description('Alpaca OAuth token endpoint (Alpaca__TokenUrl).')
@minLength(9)
param alpacaTokenUrl string = 'https://api.alpaca.markets/oauth/token'

@description('Alpaca paper-trading API base URL (Alpaca__PaperApiUrl).')
@minLength(9)
param alpacaPaperApiUrl string = 'https://paper-api.alpaca.markets'

@description('Alpaca live-trading API base URL (Alpaca__LiveApiUrl).')
@minLength(9)
param alpacaLiveApiUrl string = 'https://api.alpaca.markets'

@description('Space-separated OAuth scopes requested from Alpaca (Alpaca__Scopes).')
@minLength(1)
param alpacaScopes string = 'account:write trading'

@description('Comma-separated origins (scheme://host[:port], no path) that a connect flow may return to (Connect__AllowedReturnOrigins), e.g. "https://app.example.com,https://staging.example.com".')
@minLength(1)
param allowedReturnOrigins string

@description('NCRONTAB schedule (6 fields, with seconds) of the webhook outbox sweep timer (Webhooks__SweepSchedule): dispatches events a crash left undelivered. Default: every minute at :30.')
@minLength(11)
param webhookSweepSchedule string = '30 */1 * * * *'

@description('NCRONTAB schedule (6 fields, with seconds) of the retention timer (Retention__Schedule): deletes expired OAuth states and connect links, old dispatched outbox rows and delivery logs. Default: hourly at :05.')
@minLength(11)
param retentionSchedule string = '0 5 * * * *'

@description('NCRONTAB schedule (6 fields, with seconds) of the order-status sync timer (Trading__StatusSyncSchedule). Default: every minute.')
@minLength(11)
param statusSyncSchedule string = '0 */1 * * * *'

@description('NCRONTAB schedule (6 fields, with seconds) of the timer that places due schedule occurrences (Schedules__TimerSchedule). Occurrence times come from each schedule\'s own cron and time zone in the app. Default: every minute.')
@minLength(11)
param scheduleTimerSchedule string = '0 */1 * * * *'

@description('NCRONTAB schedule (6 fields, with seconds) of the timer that re-queues the fan-out of signals left queued (Signals__RecoverySchedule). Default: every minute at :45.')
@minLength(11)
param signalRecoverySchedule string = '45 */1 * * * *'

// ---------------------------------------------------------------------------
// Hosting
// ---------------------------------------------------------------------------

@description('Flex Consumption: most instances the app may scale out to (1-1000).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Flex Consumption: memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Storage account redundancy.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_RAGRS'
])
param storageSkuName string = 'Standard_LRS'

@description('Blob container for the Flex Consumption deployment package (3-63 chars: lowercase letters, digits, single hyphens).')
@minLength(3)
@maxLength(63)
param deploymentContainerName string = 'app-package'

@description('Allow FTP/SCM basic-auth publishing credentials on the app. Default off: azd, Core Tools and az deploy with Microsoft Entra ID.')
param allowBasicPublishingCredentials bool = false

// ---------------------------------------------------------------------------
// Key Vault and monitoring
// ---------------------------------------------------------------------------

@description('Key Vault purge protection. Recommended on for production; once on it cannot be turned off, and the vault name stays taken for the retention period after deletion.')
param keyVaultEnablePurgeProtection bool = true

@description('Key Vault soft-delete retention in days (7-90). Cannot be changed after the vault is created.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

@description('Object ID of the user, service principal or group deploying, granted Key Vault Secrets Officer so they can set the secrets. Empty or an unsubstituted "\${...}" placeholder: no assignment. azd fills it from \${AZURE_PRINCIPAL_ID}.')
@maxLength(64)
param deployerPrincipalId string = ''

@description('Log Analytics retention in days (30-730).')
@minValue(30)
@maxValue(730)
param logAnalyticsRetentionInDays int = 30

@description('Accept only Microsoft Entra-authenticated telemetry in Application Insights. The host uses its identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING); turn this on only once the worker\'s own telemetry also uses a token credential, or worker telemetry is dropped.')
param appInsightsDisableLocalAuth bool = false

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

// A literal '${' placeholder means the file was read by az, which does no substitution.
var requestedEnvironmentName = empty(azdEnvironmentName) || startsWith(azdEnvironmentName, '\${')
  ? environmentName
  : azdEnvironmentName
var envName = take(toLower(replace(replace(replace(replace(requestedEnvironmentName, '_', '-'), '.', '-'), '(', ''), ')', '')), 20)
var effectiveDeployerPrincipalId = startsWith(deployerPrincipalId, '\${') ? '' : deployerPrincipalId

// Same inputs -> same names, so redeploying updates in place.
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, envName, location))
var names = {
  functionApp: 'func-${envName}-${resourceToken}'
  plan: 'plan-${envName}-${resourceToken}'
  storage: 'st${resourceToken}'
  keyVault: 'kv-${resourceToken}'
  logAnalytics: 'log-${envName}-${resourceToken}'
  applicationInsights: 'appi-${envName}-${resourceToken}'
}

var allTags = union(tags, {
  'azd-env-name': requestedEnvironmentName
})

// Key Vault secret names the app reads. Values are never in this template.
var secretNames = {
  alpacaClientSecret: 'alpaca-client-secret' // the Alpaca OAuth client secret
  tokenEncryptionKey: 'token-encryption-key' // base64 of 32 random bytes: openssl rand -base64 32
  linkSigningSecret: 'link-signing-secret' // random signing secret, e.g. openssl rand -base64 32
}

// ---------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring-${resourceToken}'
  params: {
    location: location
    tags: allTags
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    retentionInDays: logAnalyticsRetentionInDays
    disableLocalAuth: appInsightsDisableLocalAuth
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage-${resourceToken}'
  params: {
    location: location
    tags: allTags
    name: names.storage
    skuName: storageSkuName
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault-${resourceToken}'
  params: {
    location: location
    tags: allTags
    name: names.keyVault
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    enablePurgeProtection: keyVaultEnablePurgeProtection
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app-${resourceToken}'
  params: {
    location: location
    tags: allTags
    appTags: {
      'azd-service-name': 'api'
    }
    planName: names.plan
    name: names.functionApp
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    runtimeName: 'dotnet-isolated'
    runtimeVersion: '10.0'
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    allowBasicPublishingCredentials: allowBasicPublishingCredentials
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac-${resourceToken}'
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: functionApp.outputs.principalId
    deployerPrincipalId: effectiveDeployerPrincipalId
  }
}

// Applied after the role assignments exist, so the host starts with access to
// its storage and the vault. Flex Consumption: no FUNCTIONS_WORKER_RUNTIME and
// no FUNCTIONS_EXTENSION_VERSION (the runtime comes from functionAppConfig).
module appSettings 'app/app-settings.bicep' = {
  name: 'app-settings-${resourceToken}'
  dependsOn: [
    rbac
  ]
  params: {
    functionAppName: functionApp.outputs.name
    appSettings: {
      // Host storage with the app's managed identity (no keys, no connection string).
      AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
      AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
      AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
      AzureWebJobsStorage__credential: 'managedidentity'

      // Telemetry; the host authenticates with its system-assigned identity.
      APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'

      // App configuration (`__` = `:` nesting).
      KeyVault__VaultUri: keyVault.outputs.uri
      Alpaca__ClientId: alpacaClientId
      Alpaca__AuthorizeUrl: alpacaAuthorizeUrl
      Alpaca__TokenUrl: alpacaTokenUrl
      Alpaca__PaperApiUrl: alpacaPaperApiUrl
      Alpaca__LiveApiUrl: alpacaLiveApiUrl
      Alpaca__Scopes: alpacaScopes
      Connect__PublicBaseUrl: 'https://${functionApp.outputs.defaultHostName}'
      Connect__AllowedReturnOrigins: allowedReturnOrigins
      Trading__StatusSyncSchedule: statusSyncSchedule
      Webhooks__SweepSchedule: webhookSweepSchedule
      Retention__Schedule: retentionSchedule
      Schedules__TimerSchedule: scheduleTimerSchedule
      Signals__RecoverySchedule: signalRecoverySchedule
    }
  }
}

// ---------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------

@description('Name of the function app (for `func azure functionapp publish` / az functionapp deploy).')
output functionAppName string = functionApp.outputs.name

@description('Base URL of the function app.')
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'

@description('OAuth redirect URI to register with the Alpaca OAuth app, exactly as shown.')
output callbackUrl string = 'https://${functionApp.outputs.defaultHostName}/api/oauth/callback'

@description('Object ID of the function app\'s system-assigned identity.')
output functionAppPrincipalId string = functionApp.outputs.principalId

@description('Name of the key vault that must hold the app\'s secrets.')
output keyVaultName string = keyVault.outputs.name

@description('URI of the key vault (also the KeyVault__VaultUri app setting).')
output keyVaultUri string = keyVault.outputs.uri

@description('Names of the secrets to set in the key vault: alpaca-client-secret (Alpaca OAuth client secret), token-encryption-key (base64 of 32 random bytes), link-signing-secret (random).')
output keyVaultSecretNames array = [
  secretNames.alpacaClientSecret
  secretNames.tokenEncryptionKey
  secretNames.linkSigningSecret
]

@description('Key Vault secret name for the Alpaca OAuth client secret.')
output alpacaClientSecretName string = secretNames.alpacaClientSecret

@description('Key Vault secret name for the token encryption key (base64 of 32 random bytes).')
output tokenEncryptionKeySecretName string = secretNames.tokenEncryptionKey

@description('Key Vault secret name for the link signing secret.')
output linkSigningSecretName string = secretNames.linkSigningSecret

@description('Name of the storage account (host storage and deployment packages).')
output storageAccountName string = storage.outputs.name

@description('Name of the Application Insights component.')
output applicationInsightsName string = monitoring.outputs.applicationInsightsName

@description('Role assignments made by this deployment.')
output roleAssignments array = rbac.outputs.assignments
