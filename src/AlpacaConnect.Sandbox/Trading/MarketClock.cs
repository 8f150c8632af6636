using AlpacaConnect.Sandbox.Admin;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Sandbox.Trading;

/// <summary>
/// NYSE-like sessions (Mon-Fri 9:30-16:00 New York, minus the holidays set through
/// PUT /sandbox/admin/market; none at the start). With MarketAlwaysOpen (the default) the clock
/// reports open all the time, but day orders still expire at the session close. GET /v2/clock's
/// next_open / next_close and GET /v2/calendar come from the same sessions, so they agree; the admin
/// switch overrides only is_open (a halt or a test), not the calendar.
/// </summary>
internal sealed class MarketClock(IOptions<SandboxOptions> options, MarketSwitch market)
{
    private static readonly TimeOnly Open = new(9, 30);
    private static readonly TimeOnly Close = new(16, 0);

    public static TimeZoneInfo NewYork { get; } = LoadNewYork();

    private static readonly IReadOnlySet<DateOnly> NoHolidays = new HashSet<DateOnly>();

    public bool IsOpen(DateTimeOffset at) => market.IsOpen ?? (options.Value.MarketAlwaysOpen || IsRegularSession(at, market.Holidays));

    /// <summary>The next session's open after <paramref name="at"/>, skipping weekends and the holidays set.</summary>
    public DateTimeOffset NextSessionOpen(DateTimeOffset at) => Scan(at, Open, forward: true, market.Holidays);

    /// <summary>The next session's close after <paramref name="at"/> (the current one's while it runs).</summary>
    public DateTimeOffset NextSessionClose(DateTimeOffset at) => Scan(at, Close, forward: true, market.Holidays);

    /// <summary>The trading days from <paramref name="start"/> to <paramref name="end"/> (inclusive), as GET /v2/calendar lists them.</summary>
    public IEnumerable<DateOnly> TradingDays(DateOnly start, DateOnly end)
    {
        var holidays = market.Holidays;
        for (var day = start; day <= end; day = day.AddDays(1))
        {
            if (IsTradingDay(day, holidays))
            {
                yield return day;
            }
        }
    }

    /// <summary>T+1: the next trading day after <paramref name="day"/>.</summary>
    public DateOnly SettlementDate(DateOnly day)
    {
        var holidays = market.Holidays;
        do
        {
            day = day.AddDays(1);
        }
        while (!IsTradingDay(day, holidays));
        return day;
    }

    public static TimeOnly SessionOpen => Open;

    public static TimeOnly SessionClose => Close;

    public static bool IsRegularSession(DateTimeOffset at) => IsRegularSession(at, NoHolidays);

    private static bool IsRegularSession(DateTimeOffset at, IReadOnlySet<DateOnly> holidays)
    {
        var day = LocalDate(at);
        return IsTradingDay(day, holidays) && at >= SessionTime(day, Open) && at < SessionTime(day, Close);
    }

    public static DateTimeOffset NextOpen(DateTimeOffset at) => Scan(at, Open, forward: true, NoHolidays);

    public static DateTimeOffset NextClose(DateTimeOffset at) => Scan(at, Close, forward: true, NoHolidays);

    public static DateTimeOffset PreviousClose(DateTimeOffset at) => Scan(at, Close, forward: false, NoHolidays);

    public static DateTimeOffset ToNewYork(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, NewYork);

    private static DateTimeOffset Scan(DateTimeOffset at, TimeOnly time, bool forward, IReadOnlySet<DateOnly> holidays)
    {
        var day = LocalDate(at);
        for (var i = 0; i < 30; i++, day = day.AddDays(forward ? 1 : -1))
        {
            if (!IsTradingDay(day, holidays))
            {
                continue;
            }

            var candidate = SessionTime(day, time);
            if (forward ? candidate > at : candidate <= at)
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no trading day within 30 days");
    }

    private static DateOnly LocalDate(DateTimeOffset at) => DateOnly.FromDateTime(ToNewYork(at).DateTime);

    private static bool IsTradingDay(DateOnly day) => IsTradingDay(day, NoHolidays);

    private static bool IsTradingDay(DateOnly day, IReadOnlySet<DateOnly> holidays) =>
        day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !holidays.Contains(day);

    public static DateTimeOffset At(DateOnly day, TimeOnly time) => SessionTime(day, time);

    private static DateTimeOffset SessionTime(DateOnly day, TimeOnly time)
    {
        var local = day.ToDateTime(time, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, NewYork.GetUtcOffset(local));
    }

    private static TimeZoneInfo LoadNewYork()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            // No tz database (minimal containers): US Eastern rules since 2007 are enough for a simulator.
            var rule = TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(
                DateTime.MinValue.Date, DateTime.MaxValue.Date, TimeSpan.FromHours(1),
                TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 3, 2, DayOfWeek.Sunday),
                TimeZoneInfo.TransitionTime.CreateFloatingDateRule(new DateTime(1, 1, 1, 2, 0, 0), 11, 1, DayOfWeek.Sunday));
            return TimeZoneInfo.CreateCustomTimeZone("America/New_York", TimeSpan.FromHours(-5), "Eastern Time", "EST", "EDT", [rule]);
        }
    }
}
