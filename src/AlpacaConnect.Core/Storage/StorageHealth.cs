using Azure.Data.Tables;

namespace AlpacaConnect.Core.Storage;

/// <summary>Storage is reachable when a cheap authenticated call succeeds.</summary>
public sealed class StorageHealth(TableServiceClient tables)
{
    public async Task<bool> IsReachableAsync(CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await foreach (var _ in tables.QueryAsync(maxPerPage: 1, cancellationToken: timeout.Token).AsPages(pageSizeHint: 1))
                break;
            return true;
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or OperationCanceledException or HttpRequestException or AggregateException)
        {
            return false;
        }
    }
}
