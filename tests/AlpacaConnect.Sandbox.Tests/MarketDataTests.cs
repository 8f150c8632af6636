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
