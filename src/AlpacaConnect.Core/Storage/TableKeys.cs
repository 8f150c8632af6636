using Azure.Data.Tables;

namespace AlpacaConnect.Core.Storage;

/// <summary>Key-range filters: what Table Storage answers from its index instead of a scan.</summary>
public static class TableKeys
{
    /// <summary>
    /// The rows of one partition whose row key starts with <paramref name="prefix"/>. Prefixes end
    /// in '~' and what follows is below it (hex, ids), so "prefix~" bounds the range.
    /// </summary>
    public static string WithPrefix(string partitionKey, string prefix) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {prefix} and RowKey lt {prefix + "~"}");

    /// <summary>The rows of one partition from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    public static string Between(string partitionKey, string from, string to) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {from} and RowKey lt {to}");
}
