// Log Analytics workspace + workspace-based Application Insights for the function app.

@description('Azure region for the monitoring resources.')
param location string

@description('Tags applied to every resource in this module.')
param tags object

@description('Name of the Log Analytics workspace (4-63 chars: letters, digits, hyphens).')
@minLength(4)
@maxLength(63)
param logAnalyticsName string

@description('Name of the Application Insights component (1-260 chars).')
@minLength(1)
@maxLength(260)
param applicationInsightsName string

@description('Days the Log Analytics workspace keeps data (30-730).')
@minValue(30)
@maxValue(730)
param retentionInDays int

@description('When true, Application Insights accepts only Microsoft Entra (managed identity) authenticated telemetry. Leave false unless the worker code also sends telemetry with a token credential.')
param disableLocalAuth bool

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: disableLocalAuth
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

@description('Resource ID of the Log Analytics workspace.')
output logAnalyticsWorkspaceId string = logAnalytics.id

@description('Name of the Application Insights component.')
output applicationInsightsName string = applicationInsights.name

@description('Application Insights connection string (an ingestion locator, not a credential when local auth is disabled).')
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
