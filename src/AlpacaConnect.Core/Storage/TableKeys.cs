using Azure.Data.Tables;

namespace AlpacaConnect.Core.Storage;

/// <summary>Key-range filters: what Table Storage answers from its index instead of a scan.</summary>
public static class TableKeys
{
    /// <summary>The rows of one partition from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    public static string Between(string partitionKey, string from, string to) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {from} and RowKey lt {to}");
}
