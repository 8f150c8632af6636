using System.Globalization;
using AlpacaConnect.Core.Storage;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Agents;

/// <summary>A previewed order waiting for place_trade: partition = user id, row = the confirmation id.</summary>
public sealed class TradePreviewEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    /// <summary>The agent token (its row key) that previewed it: only that token can place it.</summary>
    public string TokenRowKey { get; set; } = "";
    public string Env { get; set; } = "";
    public string OrderJson { get; set; } = "";
    /// <summary>The estimated cost counted against the token's limits; null when it could not be estimated.</summary>
    public string? EstimatedNotional { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? PlacedAt { get; set; }
}

/// <summary>What one agent token placed on one UTC day (estimated cost): partition = user id, row = "{token row}-{yyyyMMdd}".</summary>
public sealed class AgentSpendEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }
    public string Notional { get; set; } = "0";
}

/// <summary>Previews and daily spend of agent tokens (<see cref="Tables.AgentPreviews"/>, <see cref="Tables.AgentSpend"/>).</summary>
public sealed class TradePreviewStore(Tables tables)
{
    /// <summary>How long a confirmation id can be placed.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private TableClient Previews => tables.Get(Tables.AgentPreviews);
    private TableClient Spend => tables.Get(Tables.AgentSpend);

    public async Task AddAsync(TradePreviewEntity preview, CancellationToken ct) => await Previews.AddEntityAsync(preview, ct);

    public async Task<TradePreviewEntity?> GetAsync(string userId, string confirmationId, CancellationToken ct)
    {
        var found = await Previews.GetEntityIfExistsAsync<TradePreviewEntity>(userId, confirmationId, cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>Notes the preview as placed if nobody did first (ETag); false if another call got there.</summary>
    public async Task<bool> TryMarkPlacedAsync(TradePreviewEntity preview, DateTimeOffset at, CancellationToken ct)
    {
        preview.PlacedAt = at;
        try
        {
            await Previews.UpdateEntityAsync(preview, preview.ETag, TableUpdateMode.Replace, ct);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return false;
        }
    }

    public async Task<decimal> SpentAsync(string userId, string tokenRowKey, DateTimeOffset day, CancellationToken ct)
    {
        var found = await Spend.GetEntityIfExistsAsync<AgentSpendEntity>(userId, SpendRow(tokenRowKey, day), cancellationToken: ct);
        return found.HasValue ? AgentAmounts.Parse(found.Value!.Notional) ?? 0 : 0;
    }

    /// <summary>
    /// Adds <paramref name="amount"/> to the day's spend if the total stays within <paramref name="cap"/>
    /// (null = no cap); false if it would not. ETag-guarded, so two placements cannot both take the last room.
    /// </summary>
    public async Task<bool> TryReserveAsync(string userId, string tokenRowKey, DateTimeOffset day, decimal amount, decimal? cap, CancellationToken ct)
    {
        var row = SpendRow(tokenRowKey, day);
        for (var tries = 0; tries < 10; tries++)
        {
            var found = await Spend.GetEntityIfExistsAsync<AgentSpendEntity>(userId, row, cancellationToken: ct);
            var spent = found.HasValue ? AgentAmounts.Parse(found.Value!.Notional) ?? 0 : 0;
            if (cap is { } max && spent + amount > max)
                return false;
            var next = new AgentSpendEntity { PartitionKey = userId, RowKey = row, Notional = (spent + amount).ToString(CultureInfo.InvariantCulture) };
            try
            {
                if (found.HasValue)
                    await Spend.UpdateEntityAsync(next, found.Value!.ETag, TableUpdateMode.Replace, ct);
                else
                    await Spend.AddEntityAsync(next, ct);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
            }
        }
        throw new InvalidOperationException("The daily spend row kept changing; try again.");
    }

    /// <summary>Gives back a reservation whose placement did not happen.</summary>
    public Task ReleaseAsync(string userId, string tokenRowKey, DateTimeOffset day, decimal amount, CancellationToken ct) =>
        TryReserveAsync(userId, tokenRowKey, day, -amount, cap: null, ct);

    private static string SpendRow(string tokenRowKey, DateTimeOffset day) =>
        $"{tokenRowKey}-{day.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}";
}
