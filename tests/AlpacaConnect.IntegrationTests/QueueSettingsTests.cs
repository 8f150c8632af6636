using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.IntegrationTests;

/// <summary>
/// The Server's queue runner takes host.json's queue settings, with app settings over them as the
/// Functions host applies them, and each queue's own dequeue count under host.json's bound. (The same
/// on the Functions host: FunctionsHostTests.) Server-only: it reads the runner's log lines.
/// </summary>
public sealed class QueueSettingsTests
{
    [Fact]
    public async Task Each_queue_poisons_at_its_own_dequeue_count_and_the_other_keeps_host_jsons()
    {
        await using var s = await TestSystem.StartAsync(settings: new Dictionary<string, string?>
        {
            // host.json's bound, overridden the way an Azure app setting overrides it for the Functions host.
            [QueueSettings.Section + ":maxDequeueCount"] = "3",
            // Only webhook deliveries poison sooner; trade executions keep the bound.
            ["Webhooks:MaxDequeueCount"] = "2",
        });
        Assert.Equal(3, s.Services.GetRequiredService<IOptions<QueueSettings>>().Value.MaxDequeueCount);
        var queues = s.Services.GetRequiredService<Queues>();
        // Base64 as written by the app, but neither handler can read them: every delivery throws.
        var trade = (await queues.Get(Queues.TradeExecutions).SendMessageAsync("{\"not\":\"a trade\"}")).Value.MessageId;
        var delivery = (await queues.Get(Queues.WebhookDeliveries).SendMessageAsync("{\"not\":\"a delivery\"}")).Value.MessageId;

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(Poisoned(s, trade) && Poisoned(s, delivery)))
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for both messages to be poisoned.");
            await Task.Delay(100);
        }
        Assert.Equal(3, Deliveries(s, trade));
        Assert.Equal(2, Deliveries(s, delivery));
        Assert.Contains(s.Logs.Lines, l => l.Contains(trade, StringComparison.Ordinal) && l.Contains("moved to poison after 3 deliveries", StringComparison.Ordinal));
        Assert.Contains(s.Logs.Lines, l => l.Contains(delivery, StringComparison.Ordinal) && l.Contains("moved to poison after 2 deliveries", StringComparison.Ordinal));
    }

    private static bool Poisoned(TestSystem s, string messageId) =>
        s.Logs.Lines.Any(l => l.Contains(messageId, StringComparison.Ordinal) && l.Contains("moved to poison after", StringComparison.Ordinal));

    /// <summary>Failed deliveries the runner logged, plus the last one that poisoned the message.</summary>
    private static int Deliveries(TestSystem s, string messageId) =>
        s.Logs.Lines.Count(l => l.Contains(messageId, StringComparison.Ordinal) && l.Contains("failed on delivery", StringComparison.Ordinal)) + 1;
}
