using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// The storage account the Functions host uses (AzureWebJobsStorage): a connection string locally
/// (Azurite), or identity-based service URIs in Azure (AzureWebJobsStorage__tableServiceUri, ...).
/// </summary>
internal static class StorageAccount
{
    public const string Setting = "AzureWebJobsStorage";

    public static TableServiceClient Tables(IConfiguration configuration, TableClientOptions options, TokenCredential credential, StorageTransport transport)
    {
        options.Transport = transport;
        // Per retry: a retried request is another round trip.
        options.AddPolicy(new StorageMetrics("table"), HttpPipelinePosition.PerRetry);
        return configuration[Setting] is { Length: > 0 } connectionString
            ? new TableServiceClient(connectionString, options)
            : new TableServiceClient(ServiceUri(configuration, "table"), credential, options);
    }

    /// <param name="encoding">Base64 for every client that writes (the Functions queue trigger reads base64); None for a receiver that decodes each message itself.</param>
    public static QueueServiceClient Queues(IConfiguration configuration, QueueClientOptions options, TokenCredential credential, StorageTransport transport,
        QueueMessageEncoding encoding = QueueMessageEncoding.Base64)
    {
        options.Transport = transport;
        options.MessageEncoding = encoding;
        options.AddPolicy(new StorageMetrics("queue"), HttpPipelinePosition.PerRetry);
        return configuration[Setting] is { Length: > 0 } connectionString
            ? new QueueServiceClient(connectionString, options)
            : new QueueServiceClient(ServiceUri(configuration, "queue"), credential, options);
    }

    /// <summary>Blobs: the Server's timer leases (the Functions host keeps its own in the same account).</summary>
    public static BlobServiceClient Blobs(IConfiguration configuration, BlobClientOptions options, TokenCredential credential, StorageTransport transport)
    {
        options.Transport = transport;
        options.AddPolicy(new StorageMetrics("blob"), HttpPipelinePosition.PerRetry);
        return configuration[Setting] is { Length: > 0 } connectionString
            ? new BlobServiceClient(connectionString, options)
            : new BlobServiceClient(ServiceUri(configuration, "blob"), credential, options);
    }

    private static Uri ServiceUri(IConfiguration configuration, string service) => new(
        configuration[$"{Setting}:{service}ServiceUri"]
        ?? (configuration[$"{Setting}:accountName"] is { Length: > 0 } account ? $"https://{account}.{service}.core.windows.net" : null)
        ?? throw new InvalidOperationException($"Set {Setting} (a connection string) or {Setting}__{service}ServiceUri (managed identity)."));
}

/// <summary>The storage clients' one HTTP pool, with at most <see cref="StorageOptions.MaxConnectionsPerEndpoint"/> connections per endpoint.</summary>
public sealed class StorageTransport(IOptions<StorageOptions> options)
    : HttpClientTransport(new SocketsHttpHandler { MaxConnectionsPerServer = options.Value.MaxConnectionsPerEndpoint });
