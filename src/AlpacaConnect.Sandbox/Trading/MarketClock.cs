using AlpacaConnect.Sandbox.Admin;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Sandbox.Trading;

/// <summary>
/// NYSE-like sessions (Mon-Fri 9:30-16:00 New York, no holidays). With MarketAlwaysOpen (the default)
/// the clock reports open all the time, but day orders still expire at the session close.
/// </summary>
internal sealed class MarketClock(IOptions<SandboxOptions> options, MarketSwitch market)
{
    private static readonly TimeOnly Open = new(9, 30);
    private static readonly TimeOnly Close = new(16, 0);

    public static TimeZoneInfo NewYork { get; } = LoadNewYork();

    public bool IsOpen(DateTimeOffset at) => market.IsOpen ?? (options.Value.MarketAlwaysOpen || IsRegularSession(at));

    public static bool IsRegularSession(DateTimeOffset at)
    {
        var day = LocalDate(at);
        return IsTradingDay(day) && at >= SessionTime(day, Open) && at < SessionTime(day, Close);
    }

    public static DateTimeOffset NextOpen(DateTimeOffset at) => Scan(at, Open, forward: true);

    public static DateTimeOffset NextClose(DateTimeOffset at) => Scan(at, Close, forward: true);

    public static DateTimeOffset PreviousClose(DateTimeOffset at) => Scan(at, Close, forward: false);

    public static DateTimeOffset ToNewYork(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, NewYork);

    private static DateTimeOffset Scan(DateTimeOffset at, TimeOnly time, bool forward)
    {
        var day = LocalDate(at);
        for (var i = 0; i < 10; i++, day = day.AddDays(forward ? 1 : -1))
        {
            if (!IsTradingDay(day))
            {
                continue;
            }

            var candidate = SessionTime(day, time);
            if (forward ? candidate > at : candidate <= at)
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no trading day within 10 days");
    }

    private static DateOnly LocalDate(DateTimeOffset at) => DateOnly.FromDateTime(ToNewYork(at).DateTime);

    private static bool IsTradingDay(DateOnly day) => day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);

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
