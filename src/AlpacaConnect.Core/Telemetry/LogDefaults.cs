namespace AlpacaConnect.Core.Telemetry;

/// <summary>
/// Log levels both hosts start from (any configuration source overrides them). The Functions host's
/// host.json filters apply to the host's own categories only: the worker forwards what it logs as
/// Function.&lt;name&gt;.User, so the worker filters its chatty libraries itself (storage request dumps
/// were 69% of the log).
/// </summary>
public static class LogDefaults
{
    public static readonly IReadOnlyDictionary<string, string?> Levels = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        ["Logging:LogLevel:Azure.Core"] = "Warning",
        ["Logging:LogLevel:Azure.Identity"] = "Warning",
    };
}
