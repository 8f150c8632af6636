using Cronos;

namespace AlpacaConnect.Core.Schedules;

/// <summary>
/// A schedule's recurrence: a cron expression (5 fields, or 6 with seconds first) read in an IANA
/// time zone, computed in the app with Cronos (Linux Functions ignore WEBSITE_TIME_ZONE). Cronos
/// decides what daylight saving does: a local time that does not exist (spring forward) fires once
/// at the first moment after the gap; a local time that happens twice (fall back) fires once, at its
/// first instance, unless the expression repeats within the hour (a "*" or a step in the seconds,
/// minutes or hours field), which then fires in both instances (README, Schedules).
/// </summary>
public sealed class Recurrence
{
    private readonly CronExpression _cron;

    private Recurrence(CronExpression cron, TimeZoneInfo zone)
    {
        _cron = cron;
        Zone = zone;
    }

    public TimeZoneInfo Zone { get; }

    /// <summary>The recurrence, or why not: each problem keyed by the field ("cron", "time_zone").</summary>
    public static Recurrence? TryCreate(string? cron, string? timeZone, Dictionary<string, string[]> errors)
    {
        var expression = ParseCron(cron, errors);
        var zone = FindZone(timeZone, errors);
        return expression is null || zone is null ? null : new Recurrence(expression, zone);
    }

    /// <summary>For rows already stored (validated when they were written).</summary>
    public static Recurrence Of(string cron, string timeZone)
    {
        var errors = new Dictionary<string, string[]>();
        return TryCreate(cron, timeZone, errors)
            ?? throw new InvalidOperationException("Stored recurrence no longer parses: " + string.Join("; ", errors.SelectMany(e => e.Value)));
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/> (or at it when <paramref name="inclusive"/>); null if there is none.</summary>
    public DateTimeOffset? Next(DateTimeOffset after, bool inclusive = false) =>
        _cron.GetNextOccurrence(after.ToUniversalTime(), Zone, inclusive)?.ToUniversalTime();

    /// <summary>
    /// What fell due from <paramref name="from"/>, itself an occurrence (the one a schedule waits
    /// for), up to <paramref name="now"/> (inclusive): the latest occurrence, how many earlier ones it
    /// passed over, and the first of those. <paramref name="from"/> is taken as given, not re-matched:
    /// an occurrence Cronos moved out of a DST gap (02:30 fired at 03:00) does not match the cron at
    /// its moved time. Counting stops at <see cref="MaxCounted"/> (a schedule with seconds after a
    /// long outage); the latest is exact.
    /// </summary>
    public (DateTimeOffset? Latest, int Passed, DateTimeOffset? FirstPassed) Due(DateTimeOffset from, DateTimeOffset now)
    {
        from = from.ToUniversalTime();
        now = now.ToUniversalTime();
        if (from > now)
            return (null, 0, null);
        DateTimeOffset latest = from;
        DateTimeOffset? firstPassed = null;
        var passed = 0;
        foreach (var at in _cron.GetOccurrences(from, now, Zone, fromInclusive: false, toInclusive: true))
        {
            if (passed == MaxCounted)
            {
                // The rest is not counted; the latest comes from the narrowest window before now that has one.
                foreach (var window in (TimeSpan[])[TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(400)])
                    if (_cron.GetOccurrences(Max(at, now - window), now, Zone, true, true).LastOrDefault() is var last && last > at)
                        return (last.ToUniversalTime(), MaxCounted, firstPassed);
                return (at.ToUniversalTime(), MaxCounted, firstPassed);
            }
            firstPassed ??= latest;
            passed++;
            latest = at;
        }
        return (latest, passed, firstPassed);
    }

    public const int MaxCounted = 10_000;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static CronExpression? ParseCron(string? cron, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(cron))
        {
            errors["cron"] = ["Required: a cron expression of 5 fields (minute hour day month weekday) or 6 (seconds first)."];
            return null;
        }
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6) || cron.TrimStart().StartsWith('@'))
        {
            errors["cron"] = [$"Has {fields} field(s); give 5 (minute hour day month weekday) or 6 (seconds first), e.g. '0 10 * * MON'."];
            return null;
        }
        try
        {
            return CronExpression.Parse(cron, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            errors["cron"] = [$"Not a valid cron expression: {ex.Message}"];
            return null;
        }
    }

    private static TimeZoneInfo? FindZone(string? timeZone, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(timeZone))
        {
            errors["time_zone"] = ["Required: an IANA time zone such as America/New_York, Europe/Berlin or UTC."];
            return null;
        }
        // IANA ids only: Windows names ("Eastern Standard Time") resolve on some machines and not others.
        if (timeZone.Length > 64 || !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone) || !zone.HasIanaId)
        {
            errors["time_zone"] = [$"'{(timeZone.Length > 64 ? timeZone[..64] + "..." : timeZone)}' is not a known IANA time zone (such as America/New_York, Europe/Berlin or UTC)."];
            return null;
        }
        return zone;
    }
}
