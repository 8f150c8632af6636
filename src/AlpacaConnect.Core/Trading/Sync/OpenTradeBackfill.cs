using AlpacaConnect.Core.Storage;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Trading;

/// <summary>
/// A one-time migration: trades written before the work index existed are open but not in it, so
/// the status sync (which reads only the index) would never follow them. This scans the trades
/// table once for <c>IsOpen eq true</c> (the non-key filter the index replaced), indexes what it
/// finds, and records its progress in the <see cref="Tables.Markers"/> row after each page (the
/// continuation token), so a run cut short resumes where it stopped. Once the scan is through, the
/// marker says so: a process reads it once (one point read), then not at all. Every trade written
/// since the index exists is indexed with its insert, so nothing after the marker needs a scan; those
/// open at the time of the scan are in the index already and are skipped.
/// The sync calls it at the start of its run, on both hosts; a run scans at most
/// <see cref="PagesPerRun"/> pages, so a large old table is worked through over several runs.
/// </summary>
public sealed partial class OpenTradeBackfill(Tables tables, WorkIndex index, ILogger<OpenTradeBackfill> logger)
{
    public const string MarkerPartition = "backfill";
    public const string MarkerRow = "trades-open";
    private const int PageSize = 1000;
    private const int PagesPerRun = 20;
    private volatile bool _done;

    /// <summary>What a call did: whether the scan is complete, the pages read and the trades indexed by this call.</summary>
    public sealed record Progress(bool Complete, int Pages, int Indexed);

    public async Task<Progress> RunAsync(CancellationToken ct)
    {
        if (_done)
            return new(true, 0, 0);
        var markers = tables.Get(Tables.Markers);
        var marker = await markers.GetEntityIfExistsAsync<TableEntity>(MarkerPartition, MarkerRow, cancellationToken: ct);
        var state = marker.HasValue ? marker.Value! : new TableEntity(MarkerPartition, MarkerRow);
        if (state.GetBoolean("Complete") == true)
        {
            _done = true;
            return new(true, 0, 0);
        }

        var continuation = state.GetString("Continuation");
        // Trades accepted since the index exists are in it already (in any shard): skip them, not index them twice.
        var present = new HashSet<(string, string)>();
        await foreach (var entry in index.ListAsync(TradeStore.OpenKind, ct))
            present.Add((entry.Partition, entry.Row));
        int pages = 0, indexed = 0;
        var trades = tables.Get(Tables.Trades);
        await foreach (var page in trades.QueryAsync<TableEntity>("IsOpen eq true", PageSize, [nameof(ITableEntity.PartitionKey), nameof(ITableEntity.RowKey)], ct).AsPages(continuation, PageSize))
        {
            var missing = page.Values.Where(e => !present.Contains((e.PartitionKey, e.RowKey))).ToList();
            foreach (var user in missing.GroupBy(e => e.PartitionKey))
                foreach (var chunk in user.Select(e => e.RowKey).Chunk(100)) // one entity-group transaction holds at most 100
                    await index.AddAsync(TradeStore.OpenKind, user.Key, chunk, ct);
            indexed += missing.Count;
            pages++;
            continuation = page.ContinuationToken;
            state["Continuation"] = continuation;
            state["Complete"] = continuation is null;
            state["Indexed"] = (state.GetInt32("Indexed") ?? 0) + missing.Count;
            // Upsert: two runners doing the same page index the same rows, and either's progress is right.
            await markers.UpsertEntityAsync(state, TableUpdateMode.Replace, ct);
            if (continuation is null || pages >= PagesPerRun)
                break;
        }
        if (pages == 0)
        {
            state["Complete"] = true;
            await markers.UpsertEntityAsync(state, TableUpdateMode.Replace, ct);
        }
        var complete = state.GetBoolean("Complete") == true;
        _done = complete;
        LogProgress(pages, indexed, complete);
        return new(complete, pages, indexed);
    }

    [LoggerMessage(LogLevel.Information, "Open-trade backfill: {Pages} page(s) of the trades table read, {Indexed} open trade(s) indexed, complete: {Complete}")]
    private partial void LogProgress(int pages, int indexed, bool complete);
}
