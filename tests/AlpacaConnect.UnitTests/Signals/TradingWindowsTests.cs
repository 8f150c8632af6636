using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Signals;

namespace AlpacaConnect.UnitTests.Signals;

public sealed class TradingWindowsTests
{
    // Wednesday 2026-12-02; New York is UTC-5 in December.
    private static DateTimeOffset NewYork(int hour, int minute = 0, int day = 2) => new(2026, 12, day, hour, minute, 0, TimeSpan.FromHours(-5));

    private static AlpacaClock Clock(bool open, DateTimeOffset nextOpen) => new() { IsOpen = open, NextOpen = nextOpen, NextClose = nextOpen.AddHours(6.5) };

    [Fact]
    public void Regular_hours_follow_Alpacas_clock()
    {
        Assert.True(TradingWindows.At(TradingWindow.Regular, NewYork(10), Clock(true, NewYork(9, 30, 3))).Open);
        var closed = TradingWindows.At(TradingWindow.Regular, NewYork(8), Clock(false, NewYork(9, 30)));
        Assert.False(closed.Open);
        Assert.NotNull(closed.Why);
    }

    [Fact]
    public void Extended_hours_take_pre_market_on_a_trading_day_and_post_market()
    {
        var window = new TradingWindow { Kind = TradingWindow.ExtendedHours };
        var pre = TradingWindows.At(window, NewYork(5), Clock(false, NewYork(9, 30)));
        Assert.Equal((true, true), (pre.Open, pre.ExtendedSession));
        Assert.True(TradingWindows.At(window, NewYork(17), Clock(false, NewYork(9, 30, 3))).Open);
        Assert.False(TradingWindows.At(window, NewYork(3), Clock(false, NewYork(9, 30))).Open);
        Assert.False(TradingWindows.At(window, NewYork(21), Clock(false, NewYork(9, 30, 3))).Open);
        // A holiday morning: the clock's next open is another day.
        Assert.False(TradingWindows.At(window, NewYork(5), Clock(false, NewYork(9, 30, 3))).Open);
        var regular = TradingWindows.At(window, NewYork(11), Clock(true, NewYork(9, 30, 3)));
        Assert.Equal((true, false), (regular.Open, regular.ExtendedSession));
    }

    [Fact]
    public void A_custom_window_is_read_in_its_time_zone_on_its_days()
    {
        var window = new TradingWindow { Kind = TradingWindow.Custom, TimeZone = "Europe/Berlin", Start = new TimeOnly(9, 0), End = new TimeOnly(17, 30) };
        // 08:30 UTC = 09:30 Berlin (UTC+1 in December), a Wednesday.
        Assert.True(TradingWindows.At(window, new DateTimeOffset(2026, 12, 2, 8, 30, 0, TimeSpan.Zero), clock: null).Open);
        Assert.False(TradingWindows.At(window, new DateTimeOffset(2026, 12, 2, 7, 30, 0, TimeSpan.Zero), null).Open);
        Assert.False(TradingWindows.At(window, new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero), null).Open); // Saturday
        Assert.True(TradingWindows.At(window with { Days = [DayOfWeek.Saturday] }, new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero), null).Open);
        Assert.False(TradingWindows.NeedsClock(window));
    }

    [Fact]
    public void A_custom_window_past_midnight_belongs_to_its_start_day()
    {
        var window = new TradingWindow { Kind = TradingWindow.Custom, TimeZone = "UTC", Start = new TimeOnly(22, 0), End = new TimeOnly(2, 0), Days = [DayOfWeek.Friday] };
        Assert.True(TradingWindows.At(window, new DateTimeOffset(2026, 12, 4, 23, 0, 0, TimeSpan.Zero), null).Open);  // Friday 23:00
        Assert.True(TradingWindows.At(window, new DateTimeOffset(2026, 12, 5, 1, 0, 0, TimeSpan.Zero), null).Open);   // Saturday 01:00, Friday's window
        Assert.False(TradingWindows.At(window, new DateTimeOffset(2026, 12, 6, 1, 0, 0, TimeSpan.Zero), null).Open);  // Sunday 01:00
    }

    [Fact]
    public void A_custom_window_with_an_unknown_zone_is_closed_and_says_why()
    {
        var state = TradingWindows.At(new TradingWindow { Kind = TradingWindow.Custom, TimeZone = "Mars/Olympus", Start = new TimeOnly(0, 0), End = new TimeOnly(23, 59) }, DateTimeOffset.UnixEpoch, null);
        Assert.False(state.Open);
        Assert.Contains("time zone", state.Why);
    }
}
