using System.ComponentModel.DataAnnotations;

namespace AlpacaConnect.Core.Storage;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Prepended to every table and queue name; lets tests and several apps share one account.</summary>
    [RegularExpression("^[a-z0-9]{0,20}$", ErrorMessage = "Storage:Prefix must be up to 20 lowercase letters or digits.")]
    public string Prefix { get; set; } = "";

    /// <summary>
    /// Open connections per storage endpoint (table, queue). A burst beyond it waits in the client's
    /// pool instead of dialling more: Azurite serves a new connection's first request only between
    /// its busy ones, so a burst of fresh connections stalled for seconds.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Storage:MaxConnectionsPerEndpoint must be 1-1000.")]
    public int MaxConnectionsPerEndpoint { get; set; } = 32;
}
