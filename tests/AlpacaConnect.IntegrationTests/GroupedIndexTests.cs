using System.Net;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests;

public sealed class GroupedIndexTestsOnServer() : GroupedIndexTests(HostKind.Server)
{
    /// <summary>Trades accepted at the same time share index transactions, and each one is indexed (Azurite, real storage).</summary>
    [Fact]
    public async Task Concurrent_index_entries_share_transactions_and_every_one_is_listed()
    {
        await using var s = await TestSystem.StartAsync();
        var index = s.Services.GetRequiredService<WorkIndex>();
        var rows = Enumerable.Range(0, 300).Select(i => ($"user-{i % 37}", $"row-{i:000}")).ToList();

        await Task.WhenAll(rows.Select(r => Task.Run(() => index.AddGroupedAsync("grouped-test", r.Item1, r.Item2, default))));

        var listed = new List<WorkEntry>();
        await foreach (var entry in index.ListAsync("grouped-test", default))
            listed.Add(entry);
        Assert.Equal(rows.Order(), listed.Select(e => (e.Partition, e.Row)).Order());
        // Shared transactions: the entries of one write carry its one WrittenAt, so far fewer writes
        // than entries (one by one, each would have its own). Each entry read back can be removed as read.
        var writes = listed.Select(e => (e.Entity.PartitionKey, e.WrittenAt)).Distinct().Count();
        Assert.True(writes < rows.Count / 2, $"{writes} index writes for {rows.Count} entries");
        foreach (var entry in listed)
            await index.RemoveAsync(entry, default);
        await foreach (var _ in index.ListAsync("grouped-test", default))
            Assert.Fail("An entry removed as read is still listed.");
    }
}

public sealed class GroupedIndexTestsOnFunctions() : GroupedIndexTests(HostKind.Functions);

/// <summary>
/// A trade is indexed as open work together with its insert. An accept whose index write was lost
/// (the row written, the entry not) is repaired by the caller's retry under the same key, so the
/// status sync follows the trade again.
/// </summary>
public abstract class GroupedIndexTests(HostKind host)
{
    [SkippableFact]
    public async Task A_retried_accept_indexes_its_open_trade_again_and_the_sync_follows_it()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        await s.ConnectAsync("gia");
        await s.SetPriceAsync("AMZN", "200.00");
        var order = new { symbol = "AMZN", side = "buy", type = "limit", limit_price = "150.00", qty = "1", time_in_force = "gtc" };
        var id = await s.TradeAsync("gia", order, key: "gia-retry-1");
        await s.WaitForTradeAsync(id, ["submitted"]);

        // Lose the entry, as if the accept's index write had failed after its insert.
        var index = s.Services.GetRequiredService<WorkIndex>();
        var entries = await EntriesAsync(index, "gia");
        Assert.NotEmpty(entries);
        foreach (var entry in entries)
            await index.RemoveAsync(entry, default);
        Assert.Empty(await EntriesAsync(index, "gia"));

        // The caller retries: the same trade (nothing new at Alpaca), indexed again.
        var retry = await s.PostTradeAsync(new { user_id = "gia", env = "paper", order }, "gia-retry-1");
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Single(await EntriesAsync(index, "gia"));
        Assert.Single(await s.SandboxOrdersAsync("gia"));

        // The sync follows it again: a fill at Alpaca reaches the trade.
        await s.SetPriceAsync("AMZN", "140.00");
        Assert.Equal("filled", (await s.WaitForTradeAsync(id, ["filled"], runSync: true)).GetProperty("status").GetString());
    }

    private static async Task<List<WorkEntry>> EntriesAsync(WorkIndex index, string user)
    {
        var found = new List<WorkEntry>();
        await foreach (var entry in index.ListAsync(TradeStore.OpenKind, default))
            if (entry.Partition == user)
                found.Add(entry);
        return found;
    }
}
