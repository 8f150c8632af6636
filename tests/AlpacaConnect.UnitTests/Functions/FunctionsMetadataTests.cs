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

    public static TheoryData<string> HttpEndpoints => new(Core.Api.ApiCatalog.All.Select(e => e.Name));

    /// <summary>The Functions app serves exactly what the catalog (and so the Server and the OpenAPI document) says.</summary>
    [Theory]
    [MemberData(nameof(HttpEndpoints))]
    public void Http_functions_match_the_api_catalog(string name)
    {
        var endpoint = Core.Api.ApiCatalog.All.Single(e => e.Name == name);
        var trigger = Trigger(name);
        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(endpoint.Route, trigger.GetProperty("route").GetString());
        Assert.Equal([endpoint.Method.ToLowerInvariant()], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(endpoint.Keyed ? "Function" : "Anonymous", trigger.GetProperty("authLevel").GetString());
    }

    [Theory]
    [InlineData("ExecuteTrade", "trade-executions")]
    [InlineData("SettlePoisonedTrade", "trade-executions-poison")]
    [InlineData("DeliverWebhook", "webhook-deliveries")]
    [InlineData("DeadLetterPoisonedWebhook", "webhook-deliveries-poison")]
    [InlineData("FanOutSignal", "signal-fanouts")]
    [InlineData("SettlePoisonedSignal", "signal-fanouts-poison")]
    public void Queue_functions_read_the_queues_the_app_writes(string name, string queue)
    {
        var trigger = Trigger(name);
        Assert.Equal("queueTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(queue, trigger.GetProperty("queueName").GetString());
        // Same names the Server's runner and the producers use (Storage:Prefix is empty in Azure).
        Assert.Contains(queue.Replace(Core.Storage.Queues.PoisonSuffix, "", StringComparison.Ordinal), Core.Storage.Queues.All);
    }

    /// <summary>The MCP endpoint is outside the catalog (the SDK maps it on the Server): anonymous at the host, the agent token is its auth.</summary>
    [Theory]
    [InlineData("Mcp", "mcp")]
    public void The_mcp_endpoint_is_anonymous_post_at_the_servers_route(string name, string route)
    {
        var trigger = Trigger(name);
        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal(["post"], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("Anonymous", trigger.GetProperty("authLevel").GetString());
    }

    [Theory]
    [InlineData("SyncTradeStatus", "Trading:StatusSyncSchedule")]
    [InlineData("SweepWebhookOutbox", "Webhooks:SweepSchedule")]
    [InlineData("RunRetention", "Retention:Schedule")]
    [InlineData("RunSchedules", "Schedules:TimerSchedule")]
    [InlineData("RecoverSignals", "Signals:RecoverySchedule")]
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
            .Select(a => (string)a.GetData(null!).First()[0])
            .Concat(Core.Api.ApiCatalog.All.Select(e => e.Name)).ToHashSet();
        var names = Functions.Value.Select(f => f.GetProperty("name").GetString()!).ToList();
        Assert.Equal(58, names.Count);
        Assert.DoesNotContain(names, n => !tested.Contains(n));
        // And no catalog endpoint is missing from the Functions app.
        Assert.DoesNotContain(Core.Api.ApiCatalog.All.Select(e => e.Name), n => !names.Contains(n));
    }
}
