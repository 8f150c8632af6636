using System.Text.RegularExpressions;

namespace AlpacaConnect.Core.Signals;

/// <summary>A hook's name, rules and sources, checked together: every problem, keyed by its field.</summary>
public static partial class HookRulesValidator
{
    public const int MaxSymbols = 1000;
    public const int MaxSources = 50;

    private static readonly HashSet<string> Opposites = [OppositeSignal.FlattenThenEnter, OppositeSignal.FlattenOnly, OppositeSignal.Ignore];

    public static Dictionary<string, string[]> Validate(string? name, SignalRules rules, IReadOnlyList<string> sources)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
            errors["name"] = ["Required, 1 to 100 characters."];

        if (rules.AllowedSymbols is { } symbols)
        {
            if (symbols.Count == 0)
                errors["rules.allowed_symbols"] = ["An empty list allows nothing; leave it out (or null) to allow every symbol."];
            else if (symbols.Count > MaxSymbols)
                errors["rules.allowed_symbols"] = [$"At most {MaxSymbols} symbols."];
            else if (symbols.Where(s => !Symbol().IsMatch(s ?? "")).ToList() is { Count: > 0 } bad)
                errors["rules.allowed_symbols"] = [$"Not symbols (upper-case letters, digits, '.', '/', '-'; 1 to 21): {string.Join(", ", bad.Take(5).Select(b => $"'{b}'"))}."];
        }
        Positive(rules.MaxQty, "rules.max_qty", errors);
        Positive(rules.MaxNotional, "rules.max_notional", errors);
        Positive(rules.MaxPosition, "rules.max_position", errors);
        if (rules.MaxSignalAgeSeconds is < 1 or > 86_400)
            errors["rules.max_signal_age_seconds"] = ["From 1 to 86400 seconds."];
        if (rules.MaxSignalsPerMinute is < 1 or > 10_000)
            errors["rules.max_signals_per_minute"] = ["From 1 to 10000."];
        if (!Opposites.Contains(rules.OnOpposite))
            errors["rules.on_opposite"] = [$"One of {string.Join(", ", Opposites)}."];
        Window(rules.Window, errors);

        if (sources.Count > MaxSources)
            errors["allowed_sources"] = [$"At most {MaxSources} entries."];
        else if (sources.Select(SourceAllowlist.Problem).OfType<string>().ToList() is { Count: > 0 } problems)
            errors["allowed_sources"] = [.. problems];
        return errors;
    }

    private static void Window(TradingWindow? window, Dictionary<string, string[]> errors)
    {
        if (window is null)
        {
            errors["rules.window"] = ["Must be an object with a kind: regular, extended or custom."];
            return;
        }
        switch (window.Kind)
        {
            case TradingWindow.RegularHours or TradingWindow.ExtendedHours:
                if (window.TimeZone is not null || window.Start is not null || window.End is not null || window.Days is not null)
                    errors["rules.window"] = [$"A {window.Kind} window follows Alpaca's clock; time_zone, start, end and days are only for kind custom."];
                break;
            case TradingWindow.Custom:
                if (window.TimeZone is null || !TimeZoneInfo.TryFindSystemTimeZoneById(window.TimeZone, out _))
                    errors["rules.window.time_zone"] = ["Required for a custom window: an IANA time zone such as America/New_York."];
                if (window.Start is null)
                    errors["rules.window.start"] = ["Required for a custom window, e.g. \"09:45:00\"."];
                if (window.End is null)
                    errors["rules.window.end"] = ["Required for a custom window, e.g. \"15:30:00\"."];
                else if (window.Start == window.End)
                    errors["rules.window.end"] = ["Must differ from start."];
                if (window.Days is { } days && (days.Count == 0 || days.Distinct().Count() != days.Count))
                    errors["rules.window.days"] = ["Distinct days of the week (\"monday\" ...), at least one; leave out for Monday to Friday."];
                break;
            default:
                errors["rules.window.kind"] = ["One of regular, extended, custom."];
                break;
        }
    }

    private static void Positive(decimal? value, string field, Dictionary<string, string[]> errors)
    {
        if (value is <= 0 or > 1_000_000_000m)
            errors[field] = ["Greater than 0 and at most 1000000000; leave out for no limit."];
    }

    [GeneratedRegex(@"^[A-Z0-9./\-]{1,21}$")]
    private static partial Regex Symbol();
}
