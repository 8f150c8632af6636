using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// One run per timer occurrence across every instance of the Server, as the Functions host's
/// singleton lock does for its timers: a blob per timer (container "{prefix}timer-leases"), leased
/// for the run, whose metadata names the last occurrence that ran. An instance that cannot take the
/// lease, or finds the occurrence already claimed, skips it; the claim is written before the run,
/// so an occurrence runs at most once, and once unless the instance dies mid-run (as on Functions).
/// </summary>
public sealed class TimerLeases(BlobServiceClient blobs, IOptions<StorageOptions> options)
{
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);
    private const string LastOccurrence = "lastoccurrence";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _ensured = new();

    private BlobContainerClient Container => blobs.GetBlobContainerClient(options.Value.Prefix + "timer-leases");

    /// <summary>Runs <paramref name="run"/> for <paramref name="occurrence"/> if no instance has; false when skipped.</summary>
    public async Task<bool> RunOnceAsync(string timer, DateTimeOffset occurrence, Func<CancellationToken, Task> run, CancellationToken ct)
    {
        var blob = Container.GetBlobClient(timer);
        if (!_ensured.ContainsKey(timer))
        {
            await EnsureAsync(blob, ct);
            _ensured[timer] = true;
        }
        var lease = blob.GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(LeaseDuration, cancellationToken: ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false; // another instance holds it: that one runs this occurrence
        }

        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renewing = RenewAsync(lease, renewal.Token);
        try
        {
            var stamp = occurrence.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
            var properties = await blob.GetPropertiesAsync(new BlobRequestConditions { LeaseId = lease.LeaseId }, ct);
            if (properties.Value.Metadata.TryGetValue(LastOccurrence, out var last) && string.CompareOrdinal(last, stamp) >= 0)
                return false; // a late instance: this occurrence already ran
            await blob.SetMetadataAsync(new Dictionary<string, string> { [LastOccurrence] = stamp }, new BlobRequestConditions { LeaseId = lease.LeaseId }, ct);
            await run(ct);
            return true;
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
            try
            {
                await lease.ReleaseAsync(cancellationToken: CancellationToken.None);
            }
            catch (RequestFailedException)
            {
                // Lost or expired: it lapses by itself within the lease duration.
            }
        }
    }

    private async Task EnsureAsync(BlobClient blob, CancellationToken ct)
    {
        try
        {
            await blob.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            await Container.CreateIfNotExistsAsync(cancellationToken: ct);
            await EnsureAsync(blob, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // It exists (possibly leased right now).
        }
    }

    /// <summary>Keeps the lease while a run takes longer than it.</summary>
    private static async Task RenewAsync(BlobLeaseClient lease, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(LeaseDuration / 3, ct);
                await lease.RenewAsync(cancellationToken: ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (RequestFailedException)
        {
            // Lost it: the run goes on; the claim in the metadata keeps others from repeating the occurrence.
        }
    }
}
