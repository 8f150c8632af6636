using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// The storage account's service endpoints as the app's own clients address them (from
/// AzureWebJobsStorage: Azurite's path-style URLs locally, https://account.queue.core.windows.net in
/// Azure), so a request can be told to be a storage call by what it addresses, wherever the account is.
/// </summary>
public sealed class StorageEndpoints
{
    private readonly Uri[] _services;

    public StorageEndpoints(TableServiceClient tables, QueueServiceClient queues) : this(tables.Uri, queues.Uri)
    {
    }

    public StorageEndpoints(params Uri[] services) => _services = services;

    /// <summary>True when <paramref name="request"/> goes to one of the services: same scheme, host and port, and under its path.</summary>
    public bool Serves(Uri request) => request.IsAbsoluteUri && _services.Any(service =>
        Uri.Compare(service, request, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0
        && Under(request.AbsolutePath, service.AbsolutePath.TrimEnd('/')));

    private static bool Under(string path, string root) =>
        root.Length == 0 || path.Equals(root, StringComparison.Ordinal) || path.StartsWith(root + "/", StringComparison.Ordinal);
}
