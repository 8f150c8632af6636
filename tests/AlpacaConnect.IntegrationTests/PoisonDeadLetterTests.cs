using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;
using AlpacaConnect.TestSupport;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.IntegrationTests;

/// <summary>
/// A trade message nobody can read is kept as evidence (the deadletters table), the log says where,
/// and it never stops the Server's queue runner.
/// </summary>
public sealed class PoisonDeadLetterTests
{
    private const string DeadLetterTable = "deadletters";
    private const string PoisonQueue = "trade-executions-poison";

    /// <summary>Waits for the dead-letter rows of the trade poison queue (no table yet: none kept yet).</summary>
    private static async Task<List<TableEntity>> DeadLettersAsync(TestSystem s, int expected, int timeoutSeconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        List<TableEntity> rows;
        do
        {
            rows = [];
            try
            {
                await foreach (var row in s.Table(DeadLetterTable).QueryAsync<TableEntity>(e => e.PartitionKey == PoisonQueue))
                    rows.Add(row);
            }
            catch (Azure.RequestFailedException ex) when (ex.Status == 404)
            {
            }
            if (rows.Count >= expected)
                return rows;
            await Task.Delay(200);
        } while (DateTime.UtcNow < deadline);
        Assert.Fail($"{rows.Count} of {expected} dead letters after {timeoutSeconds} s.");
        return rows;
    }

    private static QueueClient Queue(TestSystem s, bool poison = false)
    {
        var queues = s.Services.GetRequiredService<Queues>();
        return poison ? queues.Poison(Queues.TradeExecutions) : queues.Get(Queues.TradeExecutions);
    }

    [Fact]
    public async Task A_message_that_is_not_a_trade_execution_is_poisoned_then_kept_as_a_dead_letter_and_the_logs_say_so()
    {
        await using var s = await TestSystem.StartAsync(settings: new Dictionary<string, string?> { ["Trading:MaxDequeueCount"] = "2" });

        var sent = await Queue(s).SendMessageAsync("this is no trade execution {");
        var row = Assert.Single(await DeadLettersAsync(s, 1));

        Assert.Equal("this is no trade execution {", row.GetString("Text"));
        Assert.Equal(28, row.GetInt32("TextLength"));
        Assert.Contains("Not a trade execution", row.GetString("Reason"), StringComparison.Ordinal);
        Assert.NotNull(row.GetDateTimeOffset("DeadLetteredAt"));
        // The message was poisoned (logged with its id), then kept: the poison queue holds nothing.
        Assert.Contains(s.Logs.Lines, l => l.Contains(sent.Value.MessageId, StringComparison.Ordinal) && l.Contains("moved to poison", StringComparison.Ordinal));
        Assert.Contains(s.Logs.Lines, l => l.Contains(row.RowKey, StringComparison.Ordinal) && l.Contains("kept in table", StringComparison.Ordinal));
        Assert.DoesNotContain(s.Logs.Lines, l => l.Contains("stays in the poison queue", StringComparison.Ordinal));
        Assert.Equal(0, await s.QueueLengthAsync(Queues.TradeExecutions, poison: true));
    }

    [Fact]
    public async Task A_message_that_is_not_base64_goes_to_poison_at_once_is_kept_and_the_runner_goes_on()
    {
        // No inline runs: every trade goes through the queue runner, which must survive the foreign message.
        await using var s = await TestSystem.StartAsync(settings: new Dictionary<string, string?> { ["Trading:InlineExecutions"] = "0" });
        await s.ConnectAsync("pat");
        // Written by something that does not base64-encode (az storage message put, another SDK).
        var raw = new QueueClient(Azurite.ConnectionString, Queue(s).Name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        var sent = await raw.SendMessageAsync("{not base64: a plain JSON text}");

        var row = Assert.Single(await DeadLettersAsync(s, 1));
        Assert.Equal("{not base64: a plain JSON text}", row.GetString("Text"));
        Assert.Contains(s.Logs.Lines, l => l.Contains(sent.Value.MessageId, StringComparison.Ordinal) && l.Contains("not base64", StringComparison.Ordinal));
        Assert.Equal(0, await s.QueueLengthAsync(Queues.TradeExecutions));

        // The queue runner still works.
        var id = await s.TradeAsync("pat", new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        Assert.Equal("filled", (await s.WaitForTradeAsync(id, ["filled", "failed", "rejected"])).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_unreadable_poison_message_is_kept_whole_while_the_log_shows_only_its_start()
    {
        await using var s = await TestSystem.StartAsync();
        var text = "garbage " + new string('x', 300) + " END-OF-THE-MESSAGE";
        var raw = new QueueClient(Azurite.ConnectionString, Queue(s, poison: true).Name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        await raw.SendMessageAsync(text);
        await Queue(s, poison: true).SendMessageAsync(new string('y', 20_000));

        var rows = await DeadLettersAsync(s, 2);
        Assert.Contains(rows, r => r.GetString("Text") == text);
        var long_ = Assert.Single(rows, r => r.GetInt32("TextLength") == 20_000);
        Assert.Equal(16_000, long_.GetString("Text").Length);
        Assert.DoesNotContain(s.Logs.Lines, l => l.Contains("END-OF-THE-MESSAGE", StringComparison.Ordinal));
        Assert.Contains(s.Logs.Lines, l => l.Contains("garbage xxx", StringComparison.Ordinal) && l.Contains("kept in table", StringComparison.Ordinal));
        Assert.Equal(0, await s.QueueLengthAsync(Queues.TradeExecutions, poison: true));
    }
}
