using AlpacaConnect.Core;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.Core.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.UnitTests.Storage;

/// <summary>host.json's queue block is the one source of the queue settings, for both hosts.</summary>
public sealed class QueueSettingsTests
{
    private static readonly string HostJson = Path.Combine(AppContext.BaseDirectory, QueueSettings.HostJson);

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddAlpacaConnectCore(configuration).BuildServiceProvider();
    }

    [Fact]
    public void The_settings_are_host_jsons_and_each_queues_dequeue_count_defaults_to_its_bound()
    {
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(HostJson));
        var queues = json.RootElement.GetProperty("extensions").GetProperty("queues");
        using var sp = Services([]);

        var settings = sp.GetRequiredService<IOptions<QueueSettings>>().Value;
        Assert.Equal(TimeSpan.Parse(queues.GetProperty("maxPollingInterval").GetString()!, System.Globalization.CultureInfo.InvariantCulture), settings.MaxPollingInterval);
        Assert.Equal(TimeSpan.Parse(queues.GetProperty("visibilityTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture), settings.VisibilityTimeout);
        Assert.Equal(queues.GetProperty("batchSize").GetInt32(), settings.BatchSize);
        Assert.Equal(queues.GetProperty("batchSize").GetInt32() + queues.GetProperty("newBatchThreshold").GetInt32(), settings.MaxInFlight);
        Assert.Equal(queues.GetProperty("maxDequeueCount").GetInt32(), settings.MaxDequeueCount);
        Assert.Equal(settings.MaxDequeueCount, sp.GetRequiredService<IOptions<TradingOptions>>().Value.MaxDequeueCount);
        Assert.Equal(settings.MaxDequeueCount, sp.GetRequiredService<IOptions<WebhookOptions>>().Value.MaxDequeueCount);
    }

    [Fact]
    public void App_settings_override_host_json_as_on_azure_and_a_queue_may_poison_sooner()
    {
        using var sp = Services(new()
        {
            [QueueSettings.Section + ":maxDequeueCount"] = "7",
            [QueueSettings.Section + ":maxPollingInterval"] = "00:00:02",
            ["Webhooks:MaxDequeueCount"] = "3",
        });

        var settings = sp.GetRequiredService<IOptions<QueueSettings>>().Value;
        Assert.Equal(7, settings.MaxDequeueCount);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.MaxPollingInterval);
        Assert.Equal(7, sp.GetRequiredService<IOptions<TradingOptions>>().Value.MaxDequeueCount);
        Assert.Equal(3, sp.GetRequiredService<IOptions<WebhookOptions>>().Value.MaxDequeueCount);
    }

    [Fact]
    public void A_queues_dequeue_count_above_host_jsons_fails_with_its_name()
    {
        using var sp = Services(new() { ["Trading:MaxDequeueCount"] = "9" });

        var error = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<TradingOptions>>().Value);
        Assert.Contains("Trading:MaxDequeueCount", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_encoding_other_than_none_fails_with_the_reason()
    {
        using var sp = Services(new() { [QueueSettings.Section + ":messageEncoding"] = "base64" });

        var error = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<QueueSettings>>().Value);
        Assert.Contains("messageEncoding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_host_json_is_named()
    {
        var error = Assert.Throws<InvalidOperationException>(() => QueueSettings.ReadHostJson("/nowhere/host.json", new QueueSettings()));
        Assert.Contains("/nowhere/host.json", error.Message, StringComparison.Ordinal);
    }
}
