using System.Collections.Concurrent;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Telemetry;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// Orders at Alpaca whose client_order_id is ours (<see cref="TradeIds.ClientOrderId"/>) but names
/// no trade row (storage lost an acknowledged write): logged with their ids and counted in
/// <c>alpaca_connect.trades.orphan_orders</c>, never ignored. Two sources feed it: the order lists
/// the status sync reads anyway for users with open trades (<see cref="ReportAsync"/>), and a slow
/// rotating audit of the active connections (<see cref="AuditAsync"/>) for users with none, who
/// would otherwise never be listed. A trade row is never deleted, so a row seen once is remembered
/// and not read again.
/// </summary>
public sealed partial class OrphanOrders(
    Tables tables,
    TradeStore store,
    ConnectionTokens tokens,
    AlpacaTradingClient alpaca,
    IOptions<TradingOptions> options,
    TimeProvider time,
    ILogger<OrphanOrders> logger)
{
    public const string MarkerPartition = "orphan-audit";
    public const string MarkerRow = "cursor";
    private const int KnownRowsLimit = 100_000;
    private const int PagesPerConnection = 4;
    private readonly ConcurrentDictionary<string, byte> _knownRows = new();

    /// <summary>The orders of <paramref name="listed"/> that are ours and have no row; each reported once per run (<paramref name="reported"/>).</summary>
    public async Task<int> ReportAsync(string userId, AlpacaEnv env, IEnumerable<AlpacaOrder> listed, IReadOnlySet<string> open, ConcurrentDictionary<string, byte> reported, CancellationToken ct)
    {
        var orphans = 0;
        foreach (var order in listed)
        {
            if (order.ClientOrderId is not { } clientOrderId || !TradeIds.TryParseClientOrderId(clientOrderId, out var rowKey)
                || open.Contains(clientOrderId) || _knownRows.ContainsKey(clientOrderId) || reported.ContainsKey(clientOrderId))
                continue;
            if (await store.GetAsync(userId, rowKey, ct) is not null)
            {
                if (_knownRows.Count >= KnownRowsLimit)
                    _knownRows.Clear();
                _knownRows[clientOrderId] = 0;
                continue;
            }
            if (!reported.TryAdd(clientOrderId, 0))
                continue;
            orphans++;
            AlpacaConnectTelemetry.CountOrphanOrder(env.ToWire());
            LogOrphan(userId, env.ToWire(), order.Id, clientOrderId, order.Symbol, order.Status);
        }
        return orphans;
    }

    /// <summary>What one audit step did: connections visited, Alpaca calls, orphans found.</summary>
    public sealed record AuditReport(int Connections, int AlpacaCalls, int Orphans);

    /// <summary>
    /// The next <see cref="TradingOptions.OrphanAuditConnectionsPerRun"/> connections after the
    /// cursor (in key order over the connections table; wrapping round at its end), each listed once
    /// since the start of the previous round (the first round looks back
    /// <see cref="TradingOptions.OrphanAuditFirstLookback"/>), so every order is in at least one
    /// list, however long a round takes. The cursor is one row of <see cref="Tables.Markers"/>.
    /// A run costs that marker's read and write, one key-range query over the connections
    /// table, and per connection one order list (a page of 500; up to 4) plus a point read for each
    /// order of ours not seen before: what the users did since the last round, never all trades ever.
    /// </summary>
    public async Task<AuditReport> AuditAsync(ConcurrentDictionary<string, byte> reported, CancellationToken ct)
    {
        var take = options.Value.OrphanAuditConnectionsPerRun;
        if (take == 0)
            return new(0, 0, 0);
        var markers = tables.Get(Tables.Markers);
        var read = await markers.GetEntityIfExistsAsync<TableEntity>(MarkerPartition, MarkerRow, cancellationToken: ct);
        var marker = read.HasValue ? read.Value! : new TableEntity(MarkerPartition, MarkerRow);
        var now = time.GetUtcNow();
        var roundStarted = marker.GetDateTimeOffset("RoundStartedAt") ?? now;
        var since = (marker.GetDateTimeOffset("PreviousRoundStartedAt") ?? roundStarted - options.Value.OrphanAuditFirstLookback) - TimeSpan.FromMinutes(1);
        var (afterUser, afterEnv) = (marker.GetString("AfterUser"), marker.GetString("AfterEnv"));

        var page = await NextConnectionsAsync(afterUser, afterEnv, take, ct);
        int calls = 0, orphans = 0;
        foreach (var (userId, envName) in page)
        {
            if (!AlpacaEnvNames.TryParse(envName, out var env) || await tokens.GetAsync(userId, env, ct) is not { } connection)
                continue;
            var after = since;
            for (var p = 0; p < PagesPerConnection; p++)
            {
                calls++;
                var list = await alpaca.ListOrdersAsync(env, connection.Token, new AlpacaOrderQuery { Status = "all", Limit = 500, After = after, Direction = "asc", Nested = true }, ct);
                if (!list.IsSuccess || list.Value!.Count == 0)
                    break;
                orphans += await ReportAsync(userId, env, list.Value, new HashSet<string>(), reported, ct);
                if (list.Value.Count < 500)
                    break;
                after = list.Value[^1].CreatedAt ?? after;
            }
        }

        if (page.Count < take)
        {
            // The end of the table: the next run starts the next round from the top.
            marker["AfterUser"] = marker["AfterEnv"] = null;
            marker["PreviousRoundStartedAt"] = roundStarted;
            marker["RoundStartedAt"] = now;
        }
        else
        {
            (marker["AfterUser"], marker["AfterEnv"]) = page[^1];
            marker["RoundStartedAt"] = roundStarted;
        }
        try
        {
            // Conditional: of two runs at once (they should not happen: both hosts run the sync once per occurrence), one moves the cursor.
            if (read.HasValue)
                await markers.UpdateEntityAsync(marker, marker.ETag, TableUpdateMode.Replace, ct);
            else
                await markers.AddEntityAsync(marker, ct);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
        }
        return new(page.Count, calls, orphans);
    }

    /// <summary>Up to <paramref name="take"/> connection rows (user, env) after the cursor, in key order.</summary>
    private async Task<List<(string User, string Env)>> NextConnectionsAsync(string? afterUser, string? afterEnv, int take, CancellationToken ct)
    {
        // Rows of a user's partition that are not connections (outbox rows) are filtered out by Table Storage.
        var filter = "(RowKey eq 'paper' or RowKey eq 'live')";
        if (afterUser is not null)
            filter = TableClient.CreateQueryFilter($"(PartitionKey gt {afterUser} or (PartitionKey eq {afterUser} and RowKey gt {afterEnv ?? ""}))") + " and " + filter;
        var rows = new List<(string, string)>();
        await foreach (var e in tables.Get(Tables.Connections).QueryAsync<TableEntity>(filter, take, [nameof(ITableEntity.PartitionKey), nameof(ITableEntity.RowKey)], ct))
        {
            rows.Add((e.PartitionKey, e.RowKey));
            if (rows.Count >= take)
                break;
        }
        return rows;
    }

    [LoggerMessage(LogLevel.Error, "Orphan order at Alpaca: order {AlpacaOrderId} ({ClientOrderId}, {Symbol}, {AlpacaStatus}) of user {UserId} on {Env} has no trade row; storage lost an acknowledged write")]
    private partial void LogOrphan(string userId, string env, string alpacaOrderId, string clientOrderId, string? symbol, string? alpacaStatus);
}
