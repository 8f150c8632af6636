using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace AlpacaConnect.TestSupport;

/// <summary>
/// The shared Azurite that eng/test.sh, eng/benchmark.sh and .ci/run start on the default ports
/// (AZURITE_CONNECTION_STRING if set). Systems on it keep apart by a table/queue prefix of their own;
/// a Functions app has an Azurite of its own instead (<see cref="AzuriteProcess"/>).
/// </summary>
public static class Azurite
{
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("AZURITE_CONNECTION_STRING") is { Length: > 0 } cs ? cs : "UseDevelopmentStorage=true";

    /// <summary>A fresh table/queue prefix: <paramref name="lead"/> and <paramref name="hexDigits"/> random hex digits.</summary>
    public static string NewPrefix(string lead, int hexDigits) => lead + Guid.NewGuid().ToString("N")[..hexDigits];

    /// <summary>Deletes every table and queue whose name starts with <paramref name="prefix"/>; returns how many.</summary>
    public static async Task<(int Tables, int Queues)> DeletePrefixedAsync(string prefix)
    {
        var tables = new TableServiceClient(ConnectionString);
        var tableNames = new List<string>();
        await foreach (var table in tables.QueryAsync(t => t.Name.CompareTo(prefix) >= 0 && t.Name.CompareTo(prefix + "{") < 0))
            tableNames.Add(table.Name);
        foreach (var name in tableNames)
            await tables.DeleteTableAsync(name);
        var queues = new QueueServiceClient(ConnectionString);
        var queueNames = new List<string>();
        await foreach (var queue in queues.GetQueuesAsync(prefix: prefix))
            queueNames.Add(queue.Name);
        foreach (var name in queueNames)
            await queues.DeleteQueueAsync(name);
        return (tableNames.Count, queueNames.Count);
    }
}
