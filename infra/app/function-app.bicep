// Flex Consumption plan + the .NET isolated-worker function app (Linux) with a
// system-assigned identity. App settings are applied separately (app-settings.bicep)
// after the identity has its role assignments, and because they need this app's
// default host name.
//
// Flex Consumption takes the runtime from functionAppConfig.runtime, so
// FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION must not be set.

@description('Azure region for the plan and the app (a region that offers Flex Consumption).')
param location string

@description('Tags applied to the plan and the app.')
param tags object

@description('Extra tags for the function app only (e.g. azd-service-name).')
param appTags object

@description('Name of the Flex Consumption plan (1-60 chars).')
@minLength(1)
@maxLength(60)
param planName string

@description('Function app name (2-60 chars: letters, digits, hyphens; globally unique, becomes <name>.azurewebsites.net).')
@minLength(2)
@maxLength(60)
param name string

@description('URL of the blob container that holds the deployment package.')
param deploymentContainerUrl string

@description('Functions runtime stack.')
@allowed([
  'dotnet-isolated'
])
param runtimeName string

@description('Runtime version for the stack (.NET 10).')
@allowed([
  '10.0'
])
param runtimeVersion string

@description('Largest number of instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Allow FTP/SCM basic-auth publishing credentials. Off: deployments (azd, func, az functionapp deploy) authenticate with Microsoft Entra ID.')
param allowBasicPublishingCredentials bool

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, appTags)
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            // The app's own system-assigned identity reads the package
            // (it gets Storage Blob Data Owner in rbac.bicep).
            type: 'SystemAssignedIdentity'
          }
        }
      }
      runtime: {
        name: runtimeName
        version: runtimeVersion
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
  }
}

resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: allowBasicPublishingCredentials
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: allowBasicPublishingCredentials
  }
}

@description('Name of the function app.')
output name string = functionApp.name

@description('Default host name, e.g. func-xxx.azurewebsites.net (no scheme).')
output defaultHostName string = functionApp.properties.defaultHostName

@description('Object (principal) ID of the app\'s system-assigned identity.')
output principalId string = functionApp.identity.principalId
