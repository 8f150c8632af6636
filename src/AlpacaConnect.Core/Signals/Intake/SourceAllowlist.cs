using System.Net;

namespace AlpacaConnect.Core.Signals;

/// <summary>Which addresses may post to a hook: IPs, CIDR ranges, or a preset by name.</summary>
public static class SourceAllowlist
{
    public const string TradingViewPreset = "tradingview";

    /// <summary>TradingView's documented webhook senders (support article 43000529348, "How to configure webhook alerts"; IPv4 only).</summary>
    public static readonly IReadOnlyList<string> TradingView = ["52.89.214.238", "34.212.75.30", "54.218.53.128", "52.32.178.7"];

    /// <summary>Why an entry is not usable, or null.</summary>
    public static string? Problem(string entry) =>
        entry == TradingViewPreset || IPAddress.TryParse(entry, out _) || IPNetwork.TryParse(entry, out _)
            ? null
            : $"'{(entry.Length <= 48 ? entry : entry[..48] + "...")}' is not an IP address, a CIDR range (10.0.0.0/8) or \"{TradingViewPreset}\".";

    /// <summary>True when the list is empty (any source) or <paramref name="address"/> is on it.</summary>
    public static bool Allows(IReadOnlyList<string> entries, IPAddress? address)
    {
        if (entries.Count == 0)
            return true;
        if (address is null)
            return false;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        foreach (var entry in entries)
        {
            if (entry == TradingViewPreset)
            {
                if (TradingView.Any(ip => IPAddress.Parse(ip).Equals(address)))
                    return true;
            }
            else if (IPAddress.TryParse(entry, out var ip) && ip.Equals(address))
                return true;
            else if (IPNetwork.TryParse(entry, out var network) && network.Contains(address))
                return true;
        }
        return false;
    }
}
