using Microsoft.AspNetCore.HttpLogging;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.Core.Telemetry;

/// <summary>
/// Request logs without query strings. ASP.NET Core's own request log ("Request starting/finished GET
/// http://host/api/oauth/callback?code=...&amp;state=...") writes the whole URL, and the callback's
/// query holds a live authorization code and the state (a code that was not exchanged, e.g. after
/// Back + Allow, stays valid at Alpaca for minutes). Both hosts run ASP.NET Core (the Server, the
/// Functions worker's HTTP integration), so that log is held at Warning whatever configuration asks
/// for, and the Server logs its requests with <see cref="Fields"/> instead: no query, no headers.
/// </summary>
public static class RequestLogging
{
    public const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>What the Server's request log (HttpLogging) records.</summary>
    public const HttpLoggingFields Fields = HttpLoggingFields.RequestMethod | HttpLoggingFields.RequestPath
        | HttpLoggingFields.ResponseStatusCode | HttpLoggingFields.Duration;

    /// <summary>
    /// Runs after every other logging rule (a post-configure): rules for the hosting category or below
    /// it are dropped, then it is held at Warning for every provider a rule names (a provider's own rule
    /// beats a general one) and for all providers (the last of equally specific rules wins).
    /// </summary>
    internal static void HoldHostingDiagnosticsAtWarning(LoggerFilterOptions options)
    {
        var providers = options.Rules.Select(r => r.ProviderName).Where(p => p is not null).Distinct(StringComparer.Ordinal).ToList();
        for (var i = options.Rules.Count - 1; i >= 0; i--)
        {
            if (options.Rules[i].CategoryName?.StartsWith(HostingDiagnosticsCategory, StringComparison.OrdinalIgnoreCase) == true)
                options.Rules.RemoveAt(i);
        }
        foreach (var provider in providers.Append(null))
            options.Rules.Add(new LoggerFilterRule(provider, HostingDiagnosticsCategory, LogLevel.Warning, filter: null));
    }
}
