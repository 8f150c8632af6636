using System.Globalization;
using System.Text.Json;
using AlpacaConnect.Sandbox.Http;
using AlpacaConnect.Sandbox.OAuth;
using AlpacaConnect.Sandbox.Trading;

namespace AlpacaConnect.Sandbox.Admin;

/// <summary>
/// Switches for tests and demos under /sandbox/admin. No auth: the Sandbox is a local stand-in.
/// Admin reads never evaluate orders, so asserting on them does not move the simulation.
/// </summary>
internal static class AdminEndpoints
{
    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/sandbox/admin");

        admin.MapPost("/tokens/revoke", async (HttpContext http, OAuthStore store) =>
        {
            var body = await ReadObject(http);
            if (body is null)
            {
                return AlpacaError.BadRequest("request body format is invalid");
            }

            var token = Text(body.Value, "access_token");
            var username = Text(body.Value, "username");
            if (token is null && username is null)
            {
                return AlpacaError.BadRequest("access_token or username is required");
            }

            var revoked = (token is null ? 0 : store.Revoke(token)) + (username is null ? 0 : store.RevokeUser(username));
            return Results.Json(new { revoked });
        });

        admin.MapGet("/tokens/count", (HttpContext http, OAuthStore store) =>
            Results.Json(new { count = store.CountActive(NullIfEmpty(http.Request.Query["username"].ToString())) }));

        admin.MapGet("/faults", (FaultSwitches faults) => Results.Json(faults.Current));

        admin.MapPut("/faults", async (HttpContext http, FaultSwitches faults) =>
        {
            var body = await ReadObject(http);
            if (body is null)
            {
                return AlpacaError.BadRequest("request body format is invalid");
            }

            // Fields left out keep their current value.
            var current = faults.Current;
            try
            {
                var next = new FaultSettings(
                    Int(body.Value, "latency_ms") ?? current.LatencyMs,
                    Double(body.Value, "error_rate") ?? current.ErrorRate,
                    Double(body.Value, "timeout_rate") ?? current.TimeoutRate,
                    Int(body.Value, "rate_limit_per_minute") ?? current.RateLimitPerMinute);
                if (next.LatencyMs < 0 || next.ErrorRate is < 0 or > 1 || next.TimeoutRate is < 0 or > 1)
                {
                    return AlpacaError.BadRequest("latency_ms must be >= 0; error_rate and timeout_rate must be within 0..1");
                }

                faults.Set(next);
                return Results.Json(next);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                return AlpacaError.BadRequest("request body format is invalid");
            }
        });

        admin.MapGet("/orders", (HttpContext http, AccountBook book) =>
        {
            var username = NullIfEmpty(http.Request.Query["username"].ToString());
            TradingEnv? env = null;
            var envText = http.Request.Query["env"].ToString();
            if (envText.Length > 0)
            {
                if (!TradingEnvNames.TryParse(envText, out var parsed))
                {
                    return AlpacaError.BadRequest("env must be paper or live");
                }

                env = parsed;
            }

            var orders = new List<AdminOrder>();
            foreach (var account in book.Existing(username, env))
            {
                lock (account.Gate)
                {
                    orders.AddRange(account.Orders
                        .Where(o => o.Parent is null)
                        .Select(o => new AdminOrder(account.Username, account.Env.Name(), account.Id.ToString(), OrderView.From(o, withLegs: true))));
                }
            }

            // count = orders placed (legs ride inside their parent), newest last.
            return Results.Json(new { count = orders.Count, orders = orders.OrderBy(o => o.Order.CreatedAt, StringComparer.Ordinal) });
        });

        // The account holder cancels an order outside the app (Alpaca's dashboard): the app only learns it by asking.
        admin.MapPost("/orders/{order_id}/cancel", (string order_id, AccountBook book, Broker broker) =>
        {
            if (!Guid.TryParse(order_id, out var id))
            {
                return AlpacaError.Missing("order not found");
            }

            foreach (var account in book.Existing(null, null))
            {
                lock (account.Gate)
                {
                    if (account.ById.TryGetValue(id, out var order))
                    {
                        return broker.Cancel(order) is { } refusal ? refusal.ToResult() : Results.NoContent();
                    }
                }
            }

            return AlpacaError.Missing("order not found");
        });

        admin.MapGet("/prices/{symbol}", (string symbol, AssetCatalog assets, MarketPrices prices) =>
            assets.Find(symbol) is { } asset ? Results.Json(PriceView(asset, prices)) : AlpacaError.Missing("asset not found"));

        admin.MapPut("/prices/{symbol}", async (HttpContext http, string symbol, AssetCatalog assets, MarketPrices prices) =>
        {
            if (assets.Find(symbol) is not { } asset)
            {
                return AlpacaError.Missing("asset not found");
            }

            var body = await ReadObject(http);
            decimal? price = null;
            if (body is { } b && b.TryGetProperty("price", out var p))
            {
                if (p.ValueKind == JsonValueKind.Number && p.TryGetDecimal(out var n))
                {
                    price = n;
                }
                else if (p.ValueKind == JsonValueKind.String &&
                         decimal.TryParse(p.GetString(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s))
                {
                    price = s;
                }
            }

            if (price is not > 0)
            {
                return AlpacaError.BadRequest("price must be a positive number");
            }

            prices.Pin(asset, price.Value);
            return Results.Json(PriceView(asset, prices));
        });

        admin.MapDelete("/prices/{symbol}", (string symbol, AssetCatalog assets, MarketPrices prices) =>
        {
            if (assets.Find(symbol) is not { } asset)
            {
                return AlpacaError.Missing("asset not found");
            }

            prices.Unpin(asset);
            return Results.Json(PriceView(asset, prices));
        });

        admin.MapPost("/reset", (OAuthStore store, AccountBook book, MarketPrices prices, FaultSwitches faults, RateLimiter limiter) =>
        {
            store.Reset();
            book.Reset();
            prices.Reset();
            faults.Reset();
            limiter.Reset();
            return Results.NoContent();
        });
    }

    private static object PriceView(Asset asset, MarketPrices prices) =>
        new { symbol = asset.Symbol, price = Wire.Num(prices.Current(asset)), pinned = prices.IsPinned(asset) };

    private static async Task<JsonElement?> ReadObject(HttpContext http)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? NullIfEmpty(v.GetString()) : null;

    private static int? Int(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetInt32() : null;

    private static double? Double(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetDouble() : null;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private sealed record AdminOrder(string Username, string Env, string AccountId, OrderView Order);
}
