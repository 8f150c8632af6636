using System.Net;

namespace AlpacaConnect.Sandbox.Tests;

public sealed class MarketDataTests
{
    [Fact]
    public async Task Clock_is_open_by_default_with_plausible_times()
    {
        await using var sb = await Running.StartAsync();
        var clock = await sb.Trader(await sb.TokenAsync()).GetJsonAsync("/v2/clock");

        Assert.True(clock.GetProperty("is_open").GetBoolean());
        Assert.StartsWith("2025-06-24T10:00:00", clock.Str("timestamp"), StringComparison.Ordinal);
        Assert.Equal("2025-06-25T09:30:00-04:00", clock.Str("next_open"));
        Assert.Equal("2025-06-24T16:00:00-04:00", clock.Str("next_close"));
    }

    [Fact]
    public async Task Calendar_lists_trading_days_with_sessions_and_settlement_and_skips_weekends()
    {
        await using var sb = await Running.StartAsync();
        var trader = sb.Trader(await sb.TokenAsync());

        // Mon 2025-06-23 .. Sun 2025-06-29: five sessions, Friday's settling on Monday.
        var week = (await trader.GetJsonAsync("/v2/calendar?start=2025-06-23&end=2025-06-29")).EnumerateArray().ToList();
        Assert.Equal(["2025-06-23", "2025-06-24", "2025-06-25", "2025-06-26", "2025-06-27"], week.Select(d => d.Str("date")));
        Assert.All(week, d => Assert.Equal(("09:30", "16:00", "0400", "2000"), (d.Str("open"), d.Str("close"), d.Str("session_open"), d.Str("session_close"))));
        Assert.Equal("2025-06-24", week[0].Str("settlement_date"));
        Assert.Equal("2025-06-30", week[4].Str("settlement_date"));
        // RFC 3339 times (the spec's format) count by the date they name.
        Assert.Single((await trader.GetJsonAsync("/v2/calendar?start=2025-06-24T14:00:00Z&end=2025-06-24T20:00:00Z")).EnumerateArray());

        using var bad = await trader.GetAsync("/v2/calendar?start=yesterday");
        await Running.AssertError(bad, HttpStatusCode.BadRequest, 40010000);
    }

    [Fact]
    public async Task Holidays_set_by_the_admin_leave_the_calendar_and_move_the_clocks_next_open_and_close()
    {
        await using var sb = await Running.StartAsync(o => o.MarketAlwaysOpen = false);
        var trader = sb.Trader(await sb.TokenAsync());
        // Tuesday 10:00 New York; Wednesday becomes a holiday.
        using (var set = await sb.Http.PutAsync("/sandbox/admin/market", Body("{\"holidays\":[\"2025-06-25\"]}")))
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);

        var clock = await trader.GetJsonAsync("/v2/clock");
        Assert.True(clock.GetProperty("is_open").GetBoolean());
        Assert.Equal("2025-06-26T09:30:00-04:00", clock.Str("next_open"));
        Assert.Equal("2025-06-24T16:00:00-04:00", clock.Str("next_close"));
        var week = (await trader.GetJsonAsync("/v2/calendar?start=2025-06-23&end=2025-06-29")).EnumerateArray().ToList();
        Assert.Equal(["2025-06-23", "2025-06-24", "2025-06-26", "2025-06-27"], week.Select(d => d.Str("date")));
        Assert.Equal("2025-06-26", week[1].Str("settlement_date"));

        // Today a holiday: closed, and the clock's next open and close are the calendar's next session.
        using (var today = await sb.Http.PutAsync("/sandbox/admin/market", Body("{\"holidays\":[\"2025-06-24\",\"2025-06-25\"]}")))
            Assert.Equal(HttpStatusCode.OK, today.StatusCode);
        clock = await trader.GetJsonAsync("/v2/clock");
        Assert.False(clock.GetProperty("is_open").GetBoolean());
        Assert.Equal("2025-06-26T09:30:00-04:00", clock.Str("next_open"));
        Assert.Equal("2025-06-26T16:00:00-04:00", clock.Str("next_close"));
        using var shown = await Running.Json(await sb.Http.GetAsync("/sandbox/admin/market"));
        Assert.Equal(["2025-06-24", "2025-06-25"], shown.RootElement.GetProperty("holidays").EnumerateArray().Select(d => d.GetString()));

        using var bad = await sb.Http.PutAsync("/sandbox/admin/market", Body("{\"holidays\":[\"June 25\"]}"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private static StringContent Body(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task Assets_are_found_by_symbol_with_flags()
    {
        await using var sb = await Running.StartAsync();
        var trader = sb.Trader(await sb.TokenAsync());

        var aapl = await trader.GetJsonAsync("/v2/assets/AAPL");
        Assert.Equal("b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", aapl.Str("id"));
        Assert.Equal("us_equity", aapl.Str("class"));
        Assert.Equal("NASDAQ", aapl.Str("exchange"));
        Assert.Equal("active", aapl.Str("status"));
        Assert.True(aapl.GetProperty("tradable").GetBoolean());
        Assert.True(aapl.GetProperty("fractionable").GetBoolean());

        Assert.False((await trader.GetJsonAsync("/v2/assets/BRK.A")).GetProperty("fractionable").GetBoolean());
        var halted = await trader.GetJsonAsync("/v2/assets/HALT");
        Assert.False(halted.GetProperty("tradable").GetBoolean());
        Assert.Equal("inactive", halted.Str("status"));
        Assert.Equal("AAPL", (await trader.GetJsonAsync("/v2/assets/b0b6dd9d-8b9b-48a9-ba46-b9d54906e415")).Str("symbol"));

        using var unknown = await trader.GetAsync("/v2/assets/NOPE");
        await Running.AssertError(unknown, HttpStatusCode.NotFound, 40410000, "asset not found");
    }

    [Fact]
    public async Task Simulated_prices_are_deterministic_functions_of_time()
    {
        await using var a = await Running.StartAsync();
        await using var b = await Running.StartAsync();
        var ta = a.Trader(await a.TokenAsync());
        var tb = b.Trader(await b.TokenAsync());

        var pa = (await ta.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day" })).Dec("filled_avg_price");
        var pb = (await tb.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day" })).Dec("filled_avg_price");
        Assert.Equal(pa, pb);
        Assert.InRange(pa, 188m, 192m); // AAPL swings +-1% around 190

        a.Time.Advance(TimeSpan.FromMinutes(15));
        var later = (await ta.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day" })).Dec("filled_avg_price");
        Assert.NotEqual(pa, later);
    }
}
