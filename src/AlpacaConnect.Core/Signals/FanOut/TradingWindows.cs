using AlpacaConnect.Core.Alpaca;

namespace AlpacaConnect.Core.Signals;

/// <summary>Whether a hook's trading window is open now, and whether that is Alpaca's regular session.</summary>
public sealed record WindowState(bool Open, bool ExtendedSession, string? Why = null);

/// <summary>
/// A hook's trading window at a moment. Regular: Alpaca's clock (is_open). Extended: the regular
/// session, or 04:00-09:30 / 16:00-20:00 New York time on a trading day (pre-market when the
/// clock's next open is that same day; post-market on weekdays, so a holiday's evening counts, as
/// Alpaca's clock cannot tell it); outside the regular session orders must be limit orders with
/// extended_hours. Custom: [Start, End) in the named IANA time zone on its days (Monday to Friday
/// unless given); an End before the Start runs past midnight, and the day is the Start's.
/// </summary>
public static class TradingWindows
{
    private static readonly TimeOnly PreMarket = new(4, 0);
    private static readonly TimeOnly RegularOpen = new(9, 30);
    private static readonly TimeOnly RegularClose = new(16, 0);
    private static readonly TimeOnly PostMarketEnd = new(20, 0);
    private static readonly DayOfWeek[] Weekdays = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];

    public static bool NeedsClock(TradingWindow window) => window.Kind != TradingWindow.Custom;

    /// <param name="clock">Alpaca's clock; needed unless the window is custom.</param>
    public static WindowState At(TradingWindow window, DateTimeOffset now, AlpacaClock? clock)
    {
        switch (window.Kind)
        {
            case TradingWindow.RegularHours:
                return clock!.IsOpen ? new(true, false) : new(false, false, "the market is closed (Alpaca's clock), and the hook trades in regular hours only.");
            case TradingWindow.ExtendedHours:
                if (clock!.IsOpen)
                    return new(true, false);
                var ny = TimeZoneInfo.ConvertTime(now, NewYork);
                var time = TimeOnly.FromDateTime(ny.DateTime);
                var today = DateOnly.FromDateTime(ny.DateTime);
                var opensToday = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.NextOpen, NewYork).DateTime) == today;
                var pre = opensToday && time >= PreMarket && time < RegularOpen;
                var post = Weekdays.Contains(ny.DayOfWeek) && time >= RegularClose && time < PostMarketEnd;
                return pre || post ? new(true, true) : new(false, false, "outside regular and extended hours (04:00-20:00 New York on trading days).");
            case TradingWindow.Custom:
                return Custom(window, now);
            default:
                return new(false, false, $"unknown trading window '{window.Kind}'.");
        }
    }

    private static WindowState Custom(TradingWindow window, DateTimeOffset now)
    {
        if (window.TimeZone is null || window.Start is not { } start || window.End is not { } end
            || !TimeZoneInfo.TryFindSystemTimeZoneById(window.TimeZone, out var zone))
            return new(false, false, "the hook's custom trading window has no valid time zone, start and end.");
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var time = TimeOnly.FromDateTime(local.DateTime);
        var days = window.Days ?? Weekdays;
        // Past midnight, the early part belongs to the previous day's window.
        var open = start <= end
            ? time >= start && time < end && days.Contains(local.DayOfWeek)
            : (time >= start && days.Contains(local.DayOfWeek)) || (time < end && days.Contains(local.AddDays(-1).DayOfWeek));
        return open
            ? new(true, false)
            : new(false, false, $"outside the hook's window {start:HH\\:mm}-{end:HH\\:mm} {window.TimeZone} on {string.Join(", ", days)}.");
    }

    internal static TimeZoneInfo NewYork { get; } = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
}
