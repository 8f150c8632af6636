using System.Text.Json;

namespace AlpacaConnect.UnitTests.Functions;

/// <summary>
/// `func start` cannot run here, so this reads what it (and Azure) would load: the functions.metadata
/// the pinned Worker SDK writes into the Functions build output.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly Lazy<JsonElement[]> Functions = new(() =>
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory); // tests/AlpacaConnect.UnitTests/bin/<config>/net10.0/
        var configuration = testOutput.Parent!.Name;
        var repo = testOutput.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(repo, "src", "AlpacaConnect.Functions", "bin", configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"No functions.metadata at {path}: build the Functions project first.");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    });

    private static JsonElement Trigger(string function)
    {
        var entry = Assert.Single(Functions.Value, f => f.GetProperty("name").GetString() == function);
        return Assert.Single(entry.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("CreateConnectLink", "connect-links", "post", "Function")]
    [InlineData("Authorize", "oauth/authorize", "get", "Anonymous")]
    [InlineData("OAuthCallback", "oauth/callback", "get", "Anonymous")]
    [InlineData("ListConnections", "connections/{userId}", "get", "Function")]
    [InlineData("Disconnect", "connections/{userId}/{env}", "delete", "Function")]
    [InlineData("Health", "health", "get", "Anonymous")]
    [InlineData("AcceptTrade", "trades", "post", "Function")]
    [InlineData("GetTrade", "trades/{id}", "get", "Function")]
    [InlineData("CancelTrade", "trades/{id}", "delete", "Function")]
    [InlineData("GetAccount", "connections/{userId}/{env}/account", "get", "Function")]
    [InlineData("GetPositions", "connections/{userId}/{env}/positions", "get", "Function")]
    [InlineData("GetOrders", "connections/{userId}/{env}/orders", "get", "Function")]
    [InlineData("CreateWebhookSubscription", "webhooks/subscriptions", "post", "Function")]
    [InlineData("ListWebhookSubscriptions", "webhooks/subscriptions", "get", "Function")]
    [InlineData("GetWebhookSubscription", "webhooks/subscriptions/{id}", "get", "Function")]
    [InlineData("DeleteWebhookSubscription", "webhooks/subscriptions/{id}", "delete", "Function")]
    [InlineData("RotateWebhookSecret", "webhooks/subscriptions/{id}/rotate-secret", "post", "Function")]
    [InlineData("SendTestWebhook", "webhooks/subscriptions/{id}/test", "post", "Function")]
    [InlineData("ListSubscriptionDeliveries", "webhooks/subscriptions/{id}/deliveries", "get", "Function")]
    [InlineData("RedeliverWebhook", "webhooks/subscriptions/{id}/deliveries/{eventId}/redeliver", "post", "Function")]
    [InlineData("ListEventDeliveries", "webhooks/events/{eventId}/deliveries", "get", "Function")]
    public void Http_functions_have_the_route_method_and_auth_level_the_server_mirrors(string name, string route, string method, string authLevel)
    {
        var trigger = Trigger(name);
        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
    }

    [Theory]
    [InlineData("ExecuteTrade", "trade-executions")]
    [InlineData("SettlePoisonedTrade", "trade-executions-poison")]
    [InlineData("DeliverWebhook", "webhook-deliveries")]
    [InlineData("DeadLetterPoisonedWebhook", "webhook-deliveries-poison")]
    public void Queue_functions_read_the_queues_the_app_writes(string name, string queue)
    {
        var trigger = Trigger(name);
        Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(queue, trigger.GetProperty("queueName").GetString());
        // Same names the Server's runner and the producers use (Storage:Prefix is empty in Azure).
        Assert.Contains(queue.Replace(Core.Storage.Queues.PoisonSuffix, "", StringComparison.Ordinal), Core.Storage.Queues.All);
    }

    [Theory]
    [InlineData("SyncTradeStatus", "Trading:StatusSyncSchedule")]
    [InlineData("SweepWebhookOutbox", "Webhooks:SweepSchedule")]
    public void Timers_take_their_ncrontab_schedule_from_the_setting_the_server_uses(string name, string setting)
    {
        var trigger = Trigger(name);
        Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal($"%{setting}%", trigger.GetProperty("schedule").GetString());
    }

    [Fact]
    public void Every_function_in_the_build_is_covered_by_a_test_here()
    {
        var tested = typeof(FunctionsMetadataTests).GetMethods()
            .SelectMany(m => m.GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>())
            .Select(a => (string)a.GetData(null!).First()[0]).ToHashSet();
        var names = Functions.Value.Select(f => f.GetProperty("name").GetString()!).ToList();
        Assert.Equal(27, names.Count);
        Assert.Empty(names.Where(n => !tested.Contains(n)));
    }
}
