using Azure.Core;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// The storage account the Functions host uses (AzureWebJobsStorage): a connection string locally
/// (Azurite), or identity-based service URIs in Azure (AzureWebJobsStorage__tableServiceUri, ...).
/// </summary>
internal static class StorageAccount
{
    public const string Setting = "AzureWebJobsStorage";

    public static TableServiceClient Tables(IConfiguration configuration, TableClientOptions options, TokenCredential credential)
    {
        var connectionString = configuration[Setting];
        if (!string.IsNullOrEmpty(connectionString))
            return new TableServiceClient(connectionString, options);
        var uri = configuration[$"{Setting}:tableServiceUri"]
            ?? (configuration[$"{Setting}:accountName"] is { Length: > 0 } account ? $"https://{account}.table.core.windows.net" : null)
            ?? throw new InvalidOperationException($"Set {Setting} (a connection string) or {Setting}__tableServiceUri (managed identity).");
        return new TableServiceClient(new Uri(uri), credential, options);
    }
}
