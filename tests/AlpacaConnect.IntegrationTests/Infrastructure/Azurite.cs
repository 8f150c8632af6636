using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace AlpacaConnect.IntegrationTests.Infrastructure;

/// <summary>The real Azurite that eng/test.sh (and .ci/run) starts on the default ports.</summary>
public static class Azurite
{
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("AZURITE_CONNECTION_STRING") is { Length: > 0 } cs ? cs : "UseDevelopmentStorage=true";

    /// <summary>A fresh table/queue prefix per test system, so tests never see each other's rows.</summary>
    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..12];

    public static async Task DeletePrefixedTablesAsync(string prefix)
    {
        var service = new TableServiceClient(ConnectionString);
        await foreach (var table in service.QueryAsync(t => t.Name.CompareTo(prefix) >= 0 && t.Name.CompareTo(prefix + "{") < 0))
            await service.DeleteTableAsync(table.Name);
        var queues = new QueueServiceClient(ConnectionString);
        await foreach (var queue in queues.GetQueuesAsync(prefix: prefix))
            await queues.DeleteQueueAsync(queue.Name);
    }
}
