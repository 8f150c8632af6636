using System.Text.Json;
using System.Text.RegularExpressions;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;
using AlpacaConnect.TestSupport;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests;

/// <summary>
/// What only the Functions host does, tested as Azure runs it: host.json's queue settings and poison
/// queues, base64 messages, timers from %Setting% schedules, and the logs the host keeps.
/// </summary>
public sealed partial class FunctionsHostTests
{
    private static readonly JsonElement HostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(FunctionsHost.RepositoryRoot, "host.json"))).RootElement;

    private static int HostJsonMaxDequeueCount => HostJson.GetProperty("extensions").GetProperty("queues").GetProperty("maxDequeueCount").GetInt32();

    [SkippableFact]
    public async Task A_message_that_keeps_failing_is_delivered_maxDequeueCount_times_then_moves_to_poison_where_its_handler_runs()
    {
        await using var s = await TestSystem.StartAsync(host: HostKind.Functions);
        var queues = s.Services.GetRequiredService<Queues>();
        // Base64 as the trigger expects, but not a trade execution: the executor throws on every delivery.
        var sent = await queues.Get(Queues.TradeExecutions).SendMessageAsync("{\"not\":\"a trade\"}");

        await WaitUntilAsync(() => s.Logs.Lines.Any(l => l.Contains("Executed 'Functions.SettlePoisonedTrade'", StringComparison.Ordinal)), 60);
        var deliveries = s.Logs.Lines.Count(l => l.Contains($"Trigger Details: MessageId: {sent.Value.MessageId}, DequeueCount:", StringComparison.Ordinal));
        Assert.Equal(HostJsonMaxDequeueCount, deliveries);
        Assert.Contains(s.Logs.Lines, l => l.Contains("is not a trade execution", StringComparison.Ordinal));
    }

    /// <summary>
    /// host.json has one maxDequeueCount for every queue; a queue with its own (lower) count is
    /// poisoned by the app at that count, the other queue still by the host at host.json's.
    /// </summary>
    [SkippableFact]
    public async Task A_queue_with_its_own_dequeue_count_is_poisoned_at_it_and_the_other_queue_at_host_jsons()
    {
        await using var s = await TestSystem.StartAsync(host: HostKind.Functions, settings: new Dictionary<string, string?> { ["Webhooks:MaxDequeueCount"] = "2" });
        var queues = s.Services.GetRequiredService<Queues>();
        var delivery = (await queues.Get(Queues.WebhookDeliveries).SendMessageAsync("{\"not\":\"a delivery\"}")).Value.MessageId;
        var trade = (await queues.Get(Queues.TradeExecutions).SendMessageAsync("{\"not\":\"a trade\"}")).Value.MessageId;

        await WaitUntilAsync(() => s.Logs.Lines.Any(l => l.Contains("Executed 'Functions.DeadLetterPoisonedWebhook'", StringComparison.Ordinal))
            && s.Logs.Lines.Any(l => l.Contains("Executed 'Functions.SettlePoisonedTrade'", StringComparison.Ordinal)), 60);
        Assert.Equal(2, s.Logs.Lines.Count(l => l.Contains($"Trigger Details: MessageId: {delivery}, DequeueCount:", StringComparison.Ordinal)));
        Assert.Contains(s.Logs.Lines, l => l.Contains(delivery, StringComparison.Ordinal) && l.Contains("moved to poison after 2 deliveries", StringComparison.Ordinal));
        Assert.Equal(HostJsonMaxDequeueCount, s.Logs.Lines.Count(l => l.Contains($"Trigger Details: MessageId: {trade}, DequeueCount:", StringComparison.Ordinal)));
    }

    [SkippableFact]
    public async Task Timers_run_on_the_schedule_their_setting_names()
    {
        // Every 2 seconds instead of the tests' yearly default: the host reads %Trading:StatusSyncSchedule%.
        await using var s = await TestSystem.StartAsync(host: HostKind.Functions, settings: new Dictionary<string, string?> { ["Trading:StatusSyncSchedule"] = "*/2 * * * * *" });
        await s.ConnectAsync("tia");
        await s.SetPriceAsync("MSFT", "400.00");
        var id = await s.TradeAsync("tia", new { symbol = "MSFT", side = "buy", type = "limit", limit_price = "390.00", qty = "1", time_in_force = "gtc" });
        await s.WaitForTradeAsync(id, ["submitted"]);

        // Only the timer follows the order from here: nothing in the test runs the sync.
        await s.SetPriceAsync("MSFT", "389.00");
        var trade = await s.WaitForTradeAsync(id, ["filled"], runSync: false, timeoutSeconds: 30);
        Assert.Equal("filled", trade.GetProperty("status").GetString());
        Assert.True(s.Logs.Lines.Count(l => l.Contains("Executing 'Functions.SyncTradeStatus' (Reason='Timer fired", StringComparison.Ordinal)) >= 2);
    }

    /// <summary>
    /// host.json hands the app each message as stored (messageEncoding "none") and the app decodes it,
    /// so a message written without base64 reaches the app like any unreadable one: retried to
    /// maxDequeueCount, poisoned, then kept as a dead letter with a log line that says where. (With
    /// "base64" the host failed to decode it, moved it to poison and left it there unseen by the app.)
    /// </summary>
    [SkippableFact]
    public async Task A_message_that_is_not_base64_reaches_the_app_and_is_kept_as_a_dead_letter_with_a_log_line()
    {
        await using var s = await TestSystem.StartAsync(host: HostKind.Functions, settings: new Dictionary<string, string?> { ["Trading:MaxDequeueCount"] = "2" });
        var raw = new QueueClient(s.Functions!.Storage.ConnectionString, Queues.TradeExecutions); // no base64: what a hand-written tool might send
        const string text = "plain text, not base64 {";
        await raw.SendMessageAsync(text);

        Azure.Data.Tables.TableEntity? kept = null;
        await WaitUntilAsync(() =>
        {
            kept = s.Table(Tables.DeadLetters).Query<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == Queues.TradeExecutions + Queues.PoisonSuffix).FirstOrDefault();
            return kept is not null;
        }, 60);
        Assert.Equal(text, kept!.GetString("Text"));
        // The row is written before the line, and the host's log reaches us through its stdout a little later.
        await WaitUntilAsync(() => s.Logs.Lines.Any(l => l.Contains(kept.RowKey, StringComparison.Ordinal)), 10);
        Assert.Contains(s.Logs.Lines, l => l.Contains(kept.RowKey, StringComparison.Ordinal) && l.Contains("kept in table", StringComparison.Ordinal));
        Assert.DoesNotContain(s.Logs.Lines, l => l.Contains("Message decoding has failed", StringComparison.Ordinal));
        var poison = new QueueClient(s.Functions.Storage.ConnectionString, Queues.TradeExecutions + Queues.PoisonSuffix);
        await WaitUntilAsync(() => poison.GetProperties().Value.ApproximateMessagesCount == 0, 10);
    }

    [SkippableFact]
    public async Task The_host_log_keeps_the_start_up_warnings_and_no_storage_request_dumps_or_secrets()
    {
        await using var s = await TestSystem.StartAsync(host: HostKind.Functions);
        await s.ConnectAsync("uma");
        var token = (await s.Services.GetRequiredService<Core.Connections.ConnectionStore>().GetActiveWithTokenAsync("uma", Core.Alpaca.AlpacaEnv.Paper, default))!.Value.Token.Value;
        var id = await s.TradeAsync("uma", new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        await s.WaitForTradeAsync(id, ["filled"]);

        var lines = s.Logs.Lines;
        Assert.Contains(lines, l => l.Contains("Running without Key Vault", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("using the Sandbox", StringComparison.Ordinal));
        // The worker filters Azure.Core itself: host.json's filters never see its categories.
        Assert.DoesNotContain(lines, l => StorageDump().IsMatch(l));
        Assert.Contains(lines, l => l.Contains("Executed 'Functions.ExecuteTrade' (Succeeded", StringComparison.Ordinal));
        var all = string.Join('\n', lines);
        foreach (var secret in new[] { token, TestSystem.ClientSecret, s.TokenKey, TestSystem.LinkSigningSecret, TestSystem.FunctionKey, s.Functions!.MasterKey })
            Assert.DoesNotContain(secret, all, StringComparison.Ordinal);
    }

    /// <summary>An Azure.Core request or response dump forwarded from the worker, e.g. "info Function.X.User: Request [id] GET http://...".</summary>
    [GeneratedRegex(@"Function\.\w+\.User: (Request|Response) \[[0-9a-f-]+\]")]
    private static partial Regex StorageDump();

    private static async Task WaitUntilAsync(Func<bool> condition, int timeoutSeconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out.");
            await Task.Delay(100);
        }
    }
}
