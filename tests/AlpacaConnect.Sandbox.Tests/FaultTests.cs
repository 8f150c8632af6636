using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace AlpacaConnect.Sandbox.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task Rate_limit_is_429_with_headers_and_recovers_after_a_minute()
    {
        await using var sb = await Running.StartAsync(o => o.RateLimitPerMinute = 3);
        var trader = sb.Trader(await sb.TokenAsync());

        for (var i = 0; i < 3; i++)
        {
            using var ok = await trader.GetAsync("/v2/clock");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("3", ok.Headers.GetValues("X-RateLimit-Limit").Single());
            Assert.Equal((2 - i).ToString(CultureInfo.InvariantCulture), ok.Headers.GetValues("X-RateLimit-Remaining").Single());
        }

        using (var limited = await trader.GetAsync("/v2/account"))
        {
            await Running.AssertError(limited, HttpStatusCode.TooManyRequests, 42910000, "rate limit exceeded");
            Assert.Equal("0", limited.Headers.GetValues("X-RateLimit-Remaining").Single());
            var reset = long.Parse(limited.Headers.GetValues("X-RateLimit-Reset").Single(), CultureInfo.InvariantCulture);
            Assert.Equal(Running.Start.AddMinutes(1).ToUnixTimeSeconds(), reset);
        }

        // Per token: another token has its own window.
        var other = sb.Trader(await sb.TokenAsync("bob"));
        using (var fresh = await other.GetAsync("/v2/clock"))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        sb.Time.Advance(TimeSpan.FromSeconds(61));
        using var again = await trader.GetAsync("/v2/account");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Error_rate_answers_500_before_doing_any_work()
    {
        await using var sb = await Running.StartAsync(o => o.ErrorRate = 1);
        var trader = sb.Trader(await sb.TokenAsync());

        using var response = await trader.OrderAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day" });
        await Running.AssertError(response, HttpStatusCode.InternalServerError, 50010000, "internal server error");
        Assert.Equal(0, await OrderValidationTests.AdminOrderCount(sb));
    }

    [Fact]
    public async Task Seeded_error_rate_repeats_the_same_pattern()
    {
        async Task<string> PatternAsync()
        {
            await using var sb = await Running.StartAsync(o =>
            {
                o.ErrorRate = 0.5;
                o.Seed = 42;
            });
            var trader = sb.Trader(await sb.TokenAsync());
            var codes = new List<int>();
            for (var i = 0; i < 12; i++)
            {
                using var response = await trader.GetAsync("/v2/clock");
                codes.Add((int)response.StatusCode);
            }

            return string.Join(',', codes);
        }

        var first = await PatternAsync();
        Assert.Equal(first, await PatternAsync());
        Assert.Contains("500", first, StringComparison.Ordinal);
        Assert.Contains("200", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timeout_places_the_order_but_the_client_never_hears()
    {
        await using var sb = await Running.StartAsync(o => o.TimeoutRate = 1);
        var token = await sb.TokenAsync();
        using var impatient = new HttpClient { BaseAddress = sb.Host.BaseAddress, Timeout = TimeSpan.FromSeconds(1) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/paper/v2/orders", UriKind.Relative))
        {
            Content = JsonContent.Create(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day", client_order_id = "retry-me" }),
        };
        request.Headers.Authorization = new("Bearer", token);

        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => impatient.SendAsync(request));

        // The order exists: the safe recovery is to look it up by client_order_id, not to resend.
        Assert.Equal(1, await OrderValidationTests.AdminOrderCount(sb));
        var found = await sb.Trader(token).GetJsonAsync("/v2/orders:by_client_order_id?client_order_id=retry-me");
        Assert.Equal("filled", found.Str("status"));
    }

    [Fact]
    public async Task Latency_delays_trading_responses()
    {
        await using var sb = await Running.StartAsync(o => o.LatencyMs = 300);
        var trader = sb.Trader(await sb.TokenAsync());

        var watch = Stopwatch.StartNew();
        using var response = await trader.GetAsync("/v2/clock");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(watch.ElapsedMilliseconds >= 280, $"took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Admin_lists_orders_per_user_and_resets()
    {
        await using var sb = await Running.StartAsync();
        var alice = sb.Trader(await sb.TokenAsync("alice"));
        var bob = sb.Trader(await sb.TokenAsync("bob", "live"), "live");
        await alice.PlaceAsync(new { symbol = "AAPL", qty = "1", side = "buy", type = "market", time_in_force = "day" });
        await alice.PlaceAsync(new
        {
            symbol = "AAPL", qty = "1", side = "buy", type = "limit", limit_price = "100", time_in_force = "gtc", order_class = "bracket",
            take_profit = new { limit_price = "300" }, stop_loss = new { stop_price = "50" },
        });
        await bob.PlaceAsync(new { symbol = "SPY", qty = "1", side = "buy", type = "market", time_in_force = "day" });

        Assert.Equal(2, await OrderValidationTests.AdminOrderCount(sb, "alice")); // legs ride inside their parent
        using (var live = await Running.Json(await sb.Http.GetAsync(new Uri("/sandbox/admin/orders?username=bob&env=live", UriKind.Relative))))
        {
            Assert.Equal(1, live.RootElement.GetProperty("count").GetInt32());
            var entry = live.RootElement.GetProperty("orders")[0];
            Assert.Equal("live", entry.Str("env"));
            Assert.Equal("SPY", entry.GetProperty("order").Str("symbol"));
        }

        using var reset = await sb.Http.PostAsync(new Uri("/sandbox/admin/reset", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(0, await OrderValidationTests.AdminOrderCount(sb, "alice"));
        using var revoked = await alice.GetAsync("/v2/account");
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
    }
}
