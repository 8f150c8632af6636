using System.Globalization;
using System.Text.Json;
using AlpacaConnect.Sandbox.Admin;
using AlpacaConnect.Sandbox.Http;

namespace AlpacaConnect.Sandbox.Trading;

/// <summary>
/// Alpaca Trading API v2, served twice: /paper/v2/... stands for paper-api.alpaca.markets/v2 and
/// /live/v2/... for api.alpaca.markets/v2. Every route runs behind <see cref="TradingGate"/>.
/// </summary>
internal static class TradingEndpoints
{
    public static void MapTrading(this IEndpointRouteBuilder app)
    {
        foreach (var env in new[] { TradingEnv.Paper, TradingEnv.Live })
        {
            var v2 = app.MapGroup($"/{env.Name()}/v2").AddEndpointFilter(new TradingGate(env));
            v2.MapGet("/account", GetAccount);
            v2.MapGet("/clock", GetClock);
            v2.MapGet("/calendar", GetCalendar);
            v2.MapGet("/assets", ListAssets);
            v2.MapGet("/assets/{symbol_or_asset_id}", GetAsset);
            v2.MapPost("/orders", PlaceOrder);
            v2.MapGet("/orders", ListOrders);
            v2.MapDelete("/orders", CancelAllOrders);
            v2.MapGet("/orders:by_client_order_id", GetOrderByClientId);
            v2.MapGet("/orders/{order_id}", GetOrder);
            v2.MapDelete("/orders/{order_id}", CancelOrder);
            v2.MapPatch("/orders/{order_id}", ReplaceOrder);
            v2.MapGet("/positions", ListPositions);
            v2.MapDelete("/positions", CloseAllPositions);
            v2.MapGet("/positions/{symbol_or_asset_id}", GetPosition);
            v2.MapDelete("/positions/{symbol_or_asset_id}", ClosePosition);
            v2.MapGet("/account/activities", (HttpContext http) => Activities(http, http.Request.Query["activity_types"].ToString()));
            v2.MapGet("/account/activities/{activity_type}", (HttpContext http, string activity_type) => Activities(http, activity_type));

            // Anything else Alpaca has (watchlists, options...) is not simulated; say so in Alpaca's error shape.
            v2.MapFallback("{**path}", () => AlpacaError.Missing("endpoint not found (not simulated by the Sandbox)"));
        }
    }

    private static IResult GetAccount(HttpContext http, Portfolio portfolio)
    {
        var account = http.Caller().Account;
        lock (account.Gate)
        {
            return Results.Json(portfolio.Account(account));
        }
    }

    private static IResult GetClock(MarketClock clock, TimeProvider time)
    {
        var now = time.GetUtcNow();
        static string Local(DateTimeOffset t, string format) =>
            MarketClock.ToNewYork(t).ToString(format, CultureInfo.InvariantCulture);
        return Results.Json(new ClockView(
            Local(now, "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz"), clock.IsOpen(now),
            Local(clock.NextSessionOpen(now), "yyyy-MM-dd'T'HH:mm:sszzz"), Local(clock.NextSessionClose(now), "yyyy-MM-dd'T'HH:mm:sszzz")));
    }

    /// <summary>
    /// GET /v2/calendar?start&amp;end (dates or RFC 3339 times, inclusive; Alpaca's range without them
    /// is 1970-2029): the trading days with their regular session (open, close as HH:MM New York) and
    /// extended session (session_open, session_close as HHMM), and the T+1 settlement date.
    /// </summary>
    private static IResult GetCalendar(HttpContext http, MarketClock clock)
    {
        static bool TryDate(string? text, DateOnly fallback, out DateOnly date)
        {
            date = fallback;
            if (string.IsNullOrEmpty(text))
            {
                return true;
            }

            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
            {
                return true;
            }

            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
            {
                // The date as written (the spec types start and end as date-times; the day is what counts).
                date = DateOnly.FromDateTime(at.DateTime);
                return true;
            }

            return false;
        }

        if (!TryDate(http.Request.Query["start"], new DateOnly(1970, 1, 1), out var start))
        {
            return AlpacaError.BadRequest("Invalid format for parameter start: error parsing '" + http.Request.Query["start"] + "' as RFC3339 or 2006-01-02 time");
        }

        if (!TryDate(http.Request.Query["end"], new DateOnly(2029, 12, 31), out var end))
        {
            return AlpacaError.BadRequest("Invalid format for parameter end: error parsing '" + http.Request.Query["end"] + "' as RFC3339 or 2006-01-02 time");
        }

        string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return Results.Json(clock.TradingDays(start, end).Select(d => new CalendarDayView(
            Day(d), MarketClock.SessionOpen.ToString("HH:mm", CultureInfo.InvariantCulture), MarketClock.SessionClose.ToString("HH:mm", CultureInfo.InvariantCulture),
            "0400", "2000", Day(clock.SettlementDate(d)))));
    }

    private static IResult ListAssets(HttpContext http, AssetCatalog assets)
    {
        var status = http.Request.Query["status"].ToString();
        return Results.Json(assets.All
            .Where(a => status.Length == 0 || a.Status == status)
            .OrderBy(a => a.Symbol, StringComparer.Ordinal)
            .Select(AssetView.From));
    }

    private static IResult GetAsset(string symbol_or_asset_id, AssetCatalog assets) =>
        assets.Find(symbol_or_asset_id) is { } asset
            ? Results.Json(AssetView.From(asset))
            : AlpacaError.Missing("asset not found");

    private static async Task<IResult> PlaceOrder(HttpContext http, Broker broker, FaultSwitches faults)
    {
        var caller = http.Caller();
        if (!caller.Grant.HasScope("trading"))
        {
            return AlpacaError.WrongScope();
        }

        OrderRequest? request;
        string? error;
        try
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            request = OrderRequest.Parse(body.RootElement, out error);
        }
        catch (JsonException)
        {
            return AlpacaError.BadRequest("request body format is invalid");
        }

        if (request is null)
        {
            return error == "request body format is invalid" ? AlpacaError.BadRequest(error) : AlpacaError.Invalid(error!);
        }

        OrderView view;
        lock (caller.Account.Gate)
        {
            var (order, refusal) = broker.Place(caller.Account, request);
            if (refusal is not null)
            {
                return refusal.ToResult();
            }

            view = OrderView.From(order!, withLegs: true);
        }

        // The timeout fault: the order exists, but the client never hears so within its timeout.
        if (faults.Roll(faults.Current.TimeoutRate))
        {
            try
            {
                await Task.Delay(faults.TimeoutDelayMs, http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return Results.Empty;
            }
        }

        return Results.Json(view);
    }

    private static IResult ListOrders(HttpContext http)
    {
        var query = http.Request.Query;
        var status = query["status"].ToString() is { Length: > 0 } s ? s : "open";
        if (status is not ("open" or "closed" or "all"))
        {
            return AlpacaError.Invalid("invalid status");
        }

        var limit = 50;
        if (query["limit"].ToString() is { Length: > 0 } limitText &&
            (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > 500))
        {
            return AlpacaError.Invalid("limit must be between 1 and 500");
        }

        DateTimeOffset? after = null, until = null;
        if (query["after"].ToString() is { Length: > 0 } afterText)
        {
            if (!Wire.TryParseTime(afterText, out var t))
            {
                return AlpacaError.Invalid("invalid after");
            }

            after = t;
        }

        if (query["until"].ToString() is { Length: > 0 } untilText)
        {
            if (!Wire.TryParseTime(untilText, out var t))
            {
                return AlpacaError.Invalid("invalid until");
            }

            until = t;
        }

        var direction = query["direction"].ToString() is { Length: > 0 } d ? d : "desc";
        if (direction is not ("asc" or "desc"))
        {
            return AlpacaError.Invalid("invalid direction");
        }

        var nestedText = query["nested"].ToString();
        if (nestedText.Length > 0 && !bool.TryParse(nestedText, out _))
        {
            return AlpacaError.Invalid("invalid nested");
        }

        var nested = nestedText.Length > 0 && bool.Parse(nestedText);
        var symbols = query["symbols"].ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var side = query["side"].ToString();

        var account = http.Caller().Account;
        lock (account.Gate)
        {
            bool Matches(SimOrder o)
            {
                var open = nested ? o.IsOpen || o.Legs.Any(l => l.IsOpen) : o.IsOpen;
                return (status == "all" || (status == "open") == open)
                       && (after is null || o.CreatedAt > after)
                       && (until is null || o.CreatedAt < until)
                       && (symbols.Count == 0 || symbols.Contains(o.Asset.Symbol))
                       && (side.Length == 0 || o.Side == side);
            }

            // Orders are kept oldest first, so list order is the tie-break for equal timestamps.
            var selected = account.Orders.Where(o => !nested || o.Parent is null).Where(Matches);
            if (direction == "desc")
            {
                selected = selected.Reverse();
            }

            return Results.Json(selected.Take(limit).Select(o => OrderView.From(o, withLegs: nested)).ToList());
        }
    }

    private static IResult GetOrder(HttpContext http, string order_id)
    {
        var account = http.Caller().Account;
        lock (account.Gate)
        {
            return Guid.TryParse(order_id, out var id) && account.ById.TryGetValue(id, out var order)
                ? Results.Json(OrderView.From(order, withLegs: true))
                : AlpacaError.Missing("order not found");
        }
    }

    private static IResult GetOrderByClientId(HttpContext http)
    {
        var clientOrderId = http.Request.Query["client_order_id"].ToString();
        if (clientOrderId.Length == 0)
        {
            return AlpacaError.Invalid("client_order_id is required");
        }

        var account = http.Caller().Account;
        lock (account.Gate)
        {
            return account.ByClientOrderId.TryGetValue(clientOrderId, out var order)
                ? Results.Json(OrderView.From(order, withLegs: true))
                : AlpacaError.Missing("order not found");
        }
    }

    private static IResult CancelOrder(HttpContext http, string order_id, Broker broker)
    {
        var caller = http.Caller();
        if (!caller.Grant.HasScope("trading"))
        {
            return AlpacaError.WrongScope();
        }

        lock (caller.Account.Gate)
        {
            if (!Guid.TryParse(order_id, out var id) || !caller.Account.ById.TryGetValue(id, out var order))
            {
                return AlpacaError.Missing("order not found");
            }

            return broker.Cancel(order) is { } refusal ? refusal.ToResult() : Results.NoContent();
        }
    }

    private static async Task<IResult> ReplaceOrder(HttpContext http, string order_id, Broker broker)
    {
        var caller = http.Caller();
        if (!caller.Grant.HasScope("trading"))
        {
            return AlpacaError.WrongScope();
        }

        OrderRequest? patch;
        string? error;
        try
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            patch = OrderRequest.Parse(body.RootElement, out error);
        }
        catch (JsonException)
        {
            return AlpacaError.BadRequest("request body format is invalid");
        }

        if (patch is null)
        {
            return error == "request body format is invalid" ? AlpacaError.BadRequest(error) : AlpacaError.Invalid(error!);
        }

        lock (caller.Account.Gate)
        {
            if (!Guid.TryParse(order_id, out var id) || !caller.Account.ById.TryGetValue(id, out var old))
            {
                return AlpacaError.Missing("order not found");
            }

            var (order, refusal) = broker.Replace(caller.Account, old, patch);
            return refusal?.ToResult() ?? Results.Json(OrderView.From(order!, withLegs: true));
        }
    }

    private static IResult CancelAllOrders(HttpContext http, Broker broker)
    {
        var caller = http.Caller();
        if (!caller.Grant.HasScope("trading"))
        {
            return AlpacaError.WrongScope();
        }

        lock (caller.Account.Gate)
        {
            var results = new List<object>();
            foreach (var order in caller.Account.Orders.Where(o => o.IsOpen && o.Status != OrderStatus.Held).ToList())
            {
                if (order.IsOpen && broker.Cancel(order) is null)
                {
                    results.Add(new { id = order.Id.ToString(), status = 200 });
                }
            }

            return Results.Json(results, statusCode: 207);
        }
    }

    private static IResult ListPositions(HttpContext http, Portfolio portfolio)
    {
        var account = http.Caller().Account;
        lock (account.Gate)
        {
            return Results.Json(account.Positions.Values
                .OrderBy(h => h.Asset.Symbol, StringComparer.Ordinal)
                .Select(h => portfolio.Position(account, h))
                .ToList());
        }
    }

    private static IResult GetPosition(HttpContext http, string symbol_or_asset_id, AssetCatalog assets, Portfolio portfolio)
    {
        var account = http.Caller().Account;
        lock (account.Gate)
        {
            return assets.Find(symbol_or_asset_id) is { } asset && account.Positions.TryGetValue(asset.Symbol, out var holding)
                ? Results.Json(portfolio.Position(account, holding))
                : AlpacaError.Missing("position does not exist");
        }
    }

    private static IResult ClosePosition(HttpContext http, string symbol_or_asset_id, AssetCatalog assets, Broker broker)
    {
        var caller = http.Caller();
        if (!caller.Grant.HasScope("trading"))
        {
            return AlpacaError.WrongScope();
        }

        var query = http.Request.Query;
        decimal? qty = null, percentage = null;
        if (query["qty"].ToString() is { Length: > 0 } qtyText)
        {
            if (!decimal.TryParse(qtyText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var q) || q <= 0)
            {
                return AlpacaError.Invalid("qty must be > 0");
            }

            qty = q;
        }

        if (query["percentage"].ToString() is { Length: > 0 } pctText)
        {
            if (!decimal.TryParse(pctText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var p) || p <= 0 || p > 100)
            {
                return AlpacaError.Invalid("percentage must be between 0 and 100");
            }

            percentage = p;
        }

        if (qty is not null && percentage is not null)
        {
            return AlpacaError.Invalid("only one of qty or percentage can be specified");
        }

        lock (caller.Account.Gate)
        {
            if (assets.Find(symbol_or_asset_id) is not { } asset || !caller.Account.Positions.TryGetValue(asset.Symbol, out var holding))
            {
                return AlpacaError.Missing("position does not exist");
            }

            var sell = Liquidate(caller.Account, holding, qty, percentage, broker);
            return sell.Refusal?.ToResult() ?? Results.Json(OrderView.From(sell.Order!, withLegs: true));
        }
    }

    private static IResult CloseAllPositions(HttpContext http, Broker broker)
    {
        var caller = http.Caller();
        if (!caller.Grant.HasScope("trading"))
        {
            return AlpacaError.WrongScope();
        }

        var cancelOrders = bool.TryParse(http.Request.Query["cancel_orders"].ToString(), out var c) && c;
        lock (caller.Account.Gate)
        {
            if (cancelOrders)
            {
                foreach (var order in caller.Account.Orders.Where(o => o.IsOpen).ToList())
                {
                    broker.Cancel(order);
                }
            }

            var results = new List<object>();
            foreach (var holding in caller.Account.Positions.Values.OrderBy(h => h.Asset.Symbol, StringComparer.Ordinal).ToList())
            {
                var (order, refusal) = Liquidate(caller.Account, holding, null, null, broker);
                results.Add(refusal is null
                    ? new { symbol = holding.Asset.Symbol, status = 200, body = (object)OrderView.From(order!, withLegs: true) }
                    : new { symbol = holding.Asset.Symbol, status = refusal.Status, body = (object)new { code = refusal.Code, message = refusal.Message } });
            }

            return Results.Json(results, statusCode: 207);
        }
    }

    private static (SimOrder? Order, Refusal? Refusal) Liquidate(AccountState account, Holding holding, decimal? qty, decimal? percentage, Broker broker)
    {
        var shares = qty ?? (percentage is { } p ? holding.Qty * p / 100 : holding.Qty);
        if (holding.Qty == decimal.Truncate(holding.Qty))
        {
            shares = decimal.Floor(shares); // only sell fractions of a position that is fractional
        }

        if (shares <= 0)
        {
            return (null, Refusal.Invalid("qty must be > 0"));
        }

        return broker.Place(account, new OrderRequest
        {
            Symbol = holding.Asset.Symbol, Qty = shares, Side = "sell", Type = "market", TimeInForce = "day",
        });
    }

    private static IResult Activities(HttpContext http, string activityTypes)
    {
        var query = http.Request.Query;
        var types = activityTypes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var direction = query["direction"].ToString() is { Length: > 0 } d ? d : "desc";
        if (direction is not ("asc" or "desc"))
        {
            return AlpacaError.Invalid("invalid direction");
        }

        var pageSize = 100;
        if (query["page_size"].ToString() is { Length: > 0 } sizeText &&
            (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > 100))
        {
            return AlpacaError.Invalid("page_size must be between 1 and 100");
        }

        DateTimeOffset? after = null, until = null, date = null;
        foreach (var (name, set) in new (string, Action<DateTimeOffset>)[] { ("after", t => after = t), ("until", t => until = t), ("date", t => date = t) })
        {
            if (query[name].ToString() is { Length: > 0 } text)
            {
                if (!Wire.TryParseTime(text, out var t))
                {
                    return AlpacaError.Invalid($"invalid {name}");
                }

                set(t);
            }
        }

        var orderId = query["order_id"].ToString();
        var pageToken = query["page_token"].ToString();
        var account = http.Caller().Account;
        lock (account.Gate)
        {
            if (types.Length > 0 && !types.Contains("FILL", StringComparer.OrdinalIgnoreCase))
            {
                return Results.Json(Array.Empty<FillView>()); // only trade fills are simulated
            }

            IEnumerable<FillRecord> fills = account.Fills;
            if (direction == "desc")
            {
                fills = fills.Reverse();
            }

            fills = fills.Where(f => (after is null || f.At > after) && (until is null || f.At < until)
                                     && (date is null || f.At.UtcDateTime.Date == date.Value.UtcDateTime.Date)
                                     && (orderId.Length == 0 || f.OrderId.ToString() == orderId));
            if (pageToken.Length > 0)
            {
                fills = fills.SkipWhile(f => f.Id != pageToken).Skip(1);
            }

            return Results.Json(fills.Take(pageSize).Select(FillView.From).ToList());
        }
    }
}
