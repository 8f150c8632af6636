// Sets the function app's application settings in one write.
// This REPLACES the whole app-settings collection on every deployment: settings
// added by hand in the portal are removed on the next deployment; add them to
// main.bicep instead.

@description('Name of the existing function app.')
@minLength(2)
@maxLength(60)
param functionAppName string

@description('Application settings, name -> string value. Use `__` for configuration nesting (Alpaca__ClientId = Alpaca:ClientId).')
param appSettings object

resource functionApp 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

resource settings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: appSettings
}
