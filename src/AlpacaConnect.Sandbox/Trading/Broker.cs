using System.Globalization;
using AlpacaConnect.Sandbox.Http;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Sandbox.Trading;

/// <summary>An Alpaca refusal: status, code, message and optional extra fields (e.g. buying_power).</summary>
internal sealed record Refusal(int Status, int Code, string Message, IReadOnlyDictionary<string, object?>? Extra = null)
{
    public static Refusal Invalid(string message) => new(422, AlpacaError.Unprocessable, message);

    public IResult ToResult() => AlpacaError.Json(Status, Code, Message, Extra);
}

/// <summary>
/// The order engine. Fills are evaluated lazily (whenever the account is touched) instead of on a timer,
/// which keeps runs deterministic. Callers must hold <see cref="AccountState.Gate"/>.
/// </summary>
internal sealed class Broker(AssetCatalog assets, MarketPrices prices, MarketClock clock, TimeProvider time, IOptions<SandboxOptions> options)
{
    private static readonly string[] Types = ["market", "limit", "stop", "stop_limit", "trailing_stop"];
    private static readonly string[] TimesInForce = ["day", "gtc", "opg", "cls", "ioc", "fok"];
    private static readonly string[] Intents = ["buy_to_open", "buy_to_close", "sell_to_open", "sell_to_close"];

    /// <summary>Limit orders above this size fill in two steps (partially_filled, then filled).</summary>
    private const decimal PartialFillAbove = 100;

    public decimal Price(Asset asset) => prices.Current(asset);

    /// <summary>Accounts may sell short (<see cref="SandboxOptions.AllowShorting"/>): shortable assets, from no position or a short one.</summary>
    public bool ShortingEnabled => options.Value.AllowShorting;

    /// <summary>One evaluation step: expire due orders and fill those whose price condition holds.</summary>
    public void Evaluate(AccountState account)
    {
        var now = time.GetUtcNow();
        foreach (var order in account.Orders.Where(o => OrderStatus.IsWorking(o.Status)).ToList())
        {
            if (!OrderStatus.IsWorking(order.Status))
            {
                continue; // closed earlier in this pass, e.g. its oco sibling filled
            }

            if (now >= order.ExpiresAt)
            {
                Close(order, OrderStatus.Expired, order.ExpiresAt);
                continue;
            }

            TryExecute(account, order, now, atPlacement: false);
        }
    }

    public (SimOrder? Order, Refusal? Refusal) Place(AccountState account, OrderRequest request)
    {
        var refusal = Validate(request, out var orderClass);
        if (refusal is not null)
        {
            return (null, refusal);
        }

        var asset = assets.Find(request.Symbol);
        if (asset is null)
        {
            return (null, Refusal.Invalid("asset not found"));
        }

        if (!asset.Tradable)
        {
            return (null, Refusal.Invalid($"asset {asset.Symbol} is not tradable"));
        }

        var fractional = request.Notional is not null || (request.Qty is { } q && q != decimal.Truncate(q));
        if (fractional && !asset.Fractionable)
        {
            return (null, Refusal.Invalid($"asset {asset.Symbol} is not fractionable"));
        }

        var clientOrderId = request.ClientOrderId ?? Guid.NewGuid().ToString();
        if (account.ByClientOrderId.ContainsKey(clientOrderId))
        {
            return (null, Refusal.Invalid("client_order_id must be unique"));
        }

        var price = prices.Current(asset);
        refusal = CheckExitPrices(request, orderClass, price) ?? CheckFunds(account, request, asset, price);
        if (refusal is not null)
        {
            return (null, refusal);
        }

        var order = Create(account, request, asset, orderClass, clientOrderId, price);
        var now = order.CreatedAt;
        if (order.Type == "market" || order.TimeInForce is "ioc" or "fok")
        {
            var filled = TryExecute(account, order, now, atPlacement: true);
            if (!filled && order.TimeInForce is "ioc" or "fok" && order.IsOpen)
            {
                Close(order, OrderStatus.Canceled, now);
            }
        }

        if (order.Status == OrderStatus.New && !clock.IsOpen(now))
        {
            order.Status = OrderStatus.Accepted; // market closed: queued for the next session, as Alpaca shows it
        }

        return (order, null);
    }

    /// <summary>
    /// PATCH /v2/orders/{id}: a new order takes the old one's place (status replaced). It goes through the
    /// same validation and funds checks as a new order, with the old order's reservation released.
    /// </summary>
    public (SimOrder? Order, Refusal? Refusal) Replace(AccountState account, SimOrder old, OrderRequest patch)
    {
        if (!OrderStatus.IsWorking(old.Status) || old.FilledQty > 0)
        {
            return (null, new Refusal(422, AlpacaError.NotCancelable, $"order is already in \"{old.Status}\" state"));
        }

        if (old.Type == "market" || old.Notional is not null)
        {
            return (null, Refusal.Invalid($"{(old.Notional is not null ? "notional" : "market")} orders cannot be replaced"));
        }

        if (old.Parent is not null || old.Legs.Count > 0)
        {
            return (null, Refusal.Invalid("replacing orders with legs is not supported by the Sandbox"));
        }

        if (patch.Qty is { } q && q != decimal.Truncate(q))
        {
            return (null, Refusal.Invalid("qty must be a whole number"));
        }

        var request = new OrderRequest
        {
            Symbol = old.Asset.Symbol,
            Side = old.Side,
            Type = old.Type,
            TimeInForce = patch.TimeInForce ?? old.TimeInForce,
            Qty = patch.Qty ?? old.Qty,
            LimitPrice = patch.LimitPrice ?? old.LimitPrice,
            StopPrice = old.Type is "stop" or "stop_limit" ? patch.StopPrice ?? old.StopPrice : null,
            TrailPrice = old.TrailPrice is not null ? patch.Trail ?? old.TrailPrice : null,
            TrailPercent = old.TrailPercent is not null ? patch.Trail ?? old.TrailPercent : null,
            ExtendedHours = old.ExtendedHours,
            ClientOrderId = patch.ClientOrderId,
            OrderClass = old.OrderClass,
            PositionIntent = old.PositionIntent,
        };

        var previous = old.Status;
        old.Status = OrderStatus.Replaced; // release its shares / buying power while the new order is checked
        var (order, refusal) = Place(account, request);
        if (refusal is not null)
        {
            old.Status = previous;
            return (null, refusal);
        }

        var now = time.GetUtcNow();
        old.ReplacedAt = now;
        old.ReplacedBy = order!.Id;
        old.UpdatedAt = now;
        order.Replaces = old.Id;
        return (order, null);
    }

    public Refusal? Cancel(SimOrder order)
    {
        if (!order.IsOpen)
        {
            return new Refusal(422, AlpacaError.NotCancelable, $"order is already in \"{order.Status}\" state");
        }

        Close(order, OrderStatus.Canceled, time.GetUtcNow());
        return null;
    }

    public decimal BuyingPower(AccountState account) => Math.Max(0, account.Cash - ReservedForBuys(account));

    /// <summary>Shares promised to open sell orders; an oco pair holds its shares once.</summary>
    public decimal HeldForSells(AccountState account, Asset asset) =>
        account.Orders
            .Where(o => o.Asset == asset && !o.IsBuy && OrderStatus.IsWorking(o.Status))
            .GroupBy(o => o.HoldGroup)
            .Sum(g => g.Max(o => o.Notional is { } n ? n / prices.Current(asset) : o.Remaining));

    private decimal ReservedForBuys(AccountState account) =>
        account.Orders
            .Where(o => o.IsBuy && OrderStatus.IsWorking(o.Status))
            .Sum(o => o.Notional ?? (o.Remaining * EstimatePrice(o.Type, o.LimitPrice, o.StopPrice, prices.Current(o.Asset))));

    private static decimal EstimatePrice(string type, decimal? limit, decimal? stop, decimal price) => type switch
    {
        "limit" or "stop_limit" => limit ?? price,
        "stop" => Math.Max(stop ?? price, price),
        _ => price,
    };

    private static Refusal? Validate(OrderRequest r, out string orderClass)
    {
        orderClass = r.OrderClass ?? "";
        if (string.IsNullOrWhiteSpace(r.Symbol))
        {
            return Refusal.Invalid("symbol is required");
        }

        if (r.Side is null)
        {
            return Refusal.Invalid("side is required");
        }

        if (r.Side is not ("buy" or "sell"))
        {
            return Refusal.Invalid("invalid side");
        }

        if (r.Type is null)
        {
            return Refusal.Invalid("type is required");
        }

        if (!Types.Contains(r.Type))
        {
            return Refusal.Invalid("invalid order type");
        }

        if (r.TimeInForce is null)
        {
            return Refusal.Invalid("time_in_force is required");
        }

        if (!TimesInForce.Contains(r.TimeInForce))
        {
            return Refusal.Invalid("invalid time_in_force");
        }

        if (orderClass == "mleg")
        {
            return Refusal.Invalid("mleg orders are not supported by the Sandbox (options are not simulated)");
        }

        if (orderClass is not ("" or "simple" or "bracket" or "oco" or "oto"))
        {
            return Refusal.Invalid("invalid order_class");
        }

        if (r.ClientOrderId is { Length: > 128 })
        {
            return Refusal.Invalid("client_order_id must be no more than 128 characters");
        }

        if (r.PositionIntent is not null && !Intents.Contains(r.PositionIntent))
        {
            return Refusal.Invalid("invalid position_intent");
        }

        if (r.Qty is not null && r.Notional is not null)
        {
            return Refusal.Invalid("only one of qty or notional can be specified");
        }

        if (r.Qty is null && r.Notional is null)
        {
            return Refusal.Invalid("qty or notional is required");
        }

        if (r.Qty is <= 0)
        {
            return Refusal.Invalid("qty must be > 0");
        }

        if (r.Notional is <= 0)
        {
            return Refusal.Invalid("notional must be > 0");
        }

        foreach (var (name, value) in new[]
                 {
                     ("limit_price", r.LimitPrice), ("stop_price", r.StopPrice), ("trail_price", r.TrailPrice),
                     ("trail_percent", r.TrailPercent), ("take_profit.limit_price", r.TakeProfitLimitPrice),
                     ("stop_loss.stop_price", r.StopLossStopPrice), ("stop_loss.limit_price", r.StopLossLimitPrice),
                 })
        {
            if (value is <= 0)
            {
                return Refusal.Invalid($"{name} must be > 0");
            }
        }

        // An oco order is the take-profit limit order itself; its limit price may come from take_profit.
        var limit = r.LimitPrice ?? (orderClass == "oco" ? r.TakeProfitLimitPrice : null);
        if (r.Type is "limit" or "stop_limit" && limit is null)
        {
            return Refusal.Invalid("limit_price is required");
        }

        if (r.Type is "stop" or "stop_limit" && r.StopPrice is null)
        {
            return Refusal.Invalid("stop_price is required");
        }

        if (r.Type == "trailing_stop")
        {
            if (r.TrailPrice is not null && r.TrailPercent is not null)
            {
                return Refusal.Invalid("only one of trail_price or trail_percent can be specified");
            }

            if (r.TrailPrice is null && r.TrailPercent is null)
            {
                return Refusal.Invalid("trail_price or trail_percent is required");
            }

            if (r.TrailPercent is >= 100)
            {
                return Refusal.Invalid("trail_percent must be < 100");
            }

            if (r.TimeInForce is not ("day" or "gtc"))
            {
                return Refusal.Invalid("trailing_stop orders must be day or gtc orders");
            }
        }

        var fractional = r.Notional is not null || (r.Qty is { } q && q != decimal.Truncate(q));
        if (fractional)
        {
            var what = r.Notional is not null ? "notional" : "fractional";
            if (orderClass is not ("" or "simple"))
            {
                return Refusal.Invalid($"{what} orders must be simple orders");
            }

            if (r.Type != "market")
            {
                return Refusal.Invalid($"{what} orders must be market orders");
            }

            if (r.TimeInForce != "day")
            {
                return Refusal.Invalid($"{what} orders must be day orders");
            }
        }

        if (r.ExtendedHours && (r.Type != "limit" || r.TimeInForce is not ("day" or "gtc")))
        {
            return Refusal.Invalid("extended hours orders must be limit orders with time_in_force day or gtc");
        }

        switch (orderClass)
        {
            case "bracket":
                if (r.Type is not ("market" or "limit"))
                {
                    return Refusal.Invalid("bracket orders must be market or limit orders");
                }

                if (r.TimeInForce is not ("day" or "gtc"))
                {
                    return Refusal.Invalid("bracket orders must be day or gtc orders");
                }

                if (r.TakeProfitLimitPrice is null)
                {
                    return Refusal.Invalid("bracket orders require take_profit.limit_price");
                }

                if (r.StopLossStopPrice is null)
                {
                    return Refusal.Invalid("bracket orders require stop_loss.stop_price");
                }

                break;
            case "oto":
                if (r.Type is not ("market" or "limit"))
                {
                    return Refusal.Invalid("oto orders must be market or limit orders");
                }

                if (r.TimeInForce is not ("day" or "gtc"))
                {
                    return Refusal.Invalid("oto orders must be day or gtc orders");
                }

                if ((r.TakeProfitLimitPrice is null) == (r.StopLossStopPrice is null))
                {
                    return Refusal.Invalid("oto orders require either take_profit.limit_price or stop_loss.stop_price");
                }

                break;
            case "oco":
                if (r.Type != "limit")
                {
                    return Refusal.Invalid("oco orders must be limit orders");
                }

                if (r.TimeInForce is not ("day" or "gtc"))
                {
                    return Refusal.Invalid("oco orders must be day or gtc orders");
                }

                if (r.TakeProfitLimitPrice is null || r.StopLossStopPrice is null)
                {
                    return Refusal.Invalid("oco orders require take_profit.limit_price and stop_loss.stop_price");
                }

                break;
        }

        return null;
    }

    /// <summary>Exit legs must sit on the right side of the entry, or they would fill at once.</summary>
    private static Refusal? CheckExitPrices(OrderRequest r, string orderClass, decimal price)
    {
        if (orderClass is not ("bracket" or "oto" or "oco"))
        {
            return null;
        }

        // Sign +1: exits sell above / stop below (long entry); -1 for the mirror image.
        var exitsAreSells = orderClass == "oco" ? r.Side == "sell" : r.Side == "buy";
        var sign = exitsAreSells ? 1 : -1;
        if (orderClass == "oco")
        {
            var takeProfit = r.TakeProfitLimitPrice!.Value;
            if (sign * (takeProfit - r.StopLossStopPrice!.Value) <= 0)
            {
                return Refusal.Invalid(exitsAreSells
                    ? "take_profit.limit_price must be > stop_loss.stop_price"
                    : "take_profit.limit_price must be < stop_loss.stop_price");
            }
        }
        else
        {
            var basePrice = r.Type == "limit" && r.LimitPrice is { } l ? l : price;
            if (r.TakeProfitLimitPrice is { } tp && sign * (tp - basePrice) < 0.01m)
            {
                return Refusal.Invalid(exitsAreSells
                    ? "take_profit.limit_price must be >= base_price + 0.01"
                    : "take_profit.limit_price must be <= base_price - 0.01");
            }

            if (r.StopLossStopPrice is { } sp && sign * (basePrice - sp) < 0.01m)
            {
                return Refusal.Invalid(exitsAreSells
                    ? "stop_loss.stop_price must be <= base_price - 0.01"
                    : "stop_loss.stop_price must be >= base_price + 0.01");
            }
        }

        if (r.StopLossLimitPrice is { } sl && r.StopLossStopPrice is { } stop && sign * (stop - sl) < 0)
        {
            return Refusal.Invalid(exitsAreSells
                ? "stop_loss.limit_price must be <= stop_loss.stop_price"
                : "stop_loss.limit_price must be >= stop_loss.stop_price");
        }

        return null;
    }

    private Refusal? CheckFunds(AccountState account, OrderRequest r, Asset asset, decimal price)
    {
        if (r.Side == "buy")
        {
            var limit = r.LimitPrice ?? (r.OrderClass == "oco" ? r.TakeProfitLimitPrice : null);
            var cost = r.Notional ?? (r.Qty!.Value * EstimatePrice(r.Type!, limit, r.StopPrice, price));
            var buyingPower = BuyingPower(account);
            return cost <= buyingPower
                ? null
                : new Refusal(403, AlpacaError.Forbidden, "insufficient buying power", new Dictionary<string, object?>
                {
                    ["buying_power"] = Wire.Money(buyingPower),
                    ["cost_basis"] = Wire.Money(cost),
                });
        }

        // A sell needs shares not already promised to other sells, unless it opens or adds to a short
        // (shorting enabled, a shortable asset, no long held: like Alpaca, one order never crosses from long to short).
        var requested = r.Qty ?? (r.Notional!.Value / price);
        var existing = account.Positions.TryGetValue(asset.Symbol, out var holding) ? holding.Qty : 0;
        if (ShortingEnabled && existing <= 0)
        {
            if (!asset.Shortable)
            {
                return new Refusal(403, AlpacaError.Forbidden, $"asset {asset.Symbol} cannot be sold short");
            }

            var value = requested * EstimatePrice(r.Type!, r.LimitPrice, r.StopPrice, price);
            var power = BuyingPower(account);
            return value <= power
                ? null
                : new Refusal(403, AlpacaError.Forbidden, "insufficient buying power", new Dictionary<string, object?>
                {
                    ["buying_power"] = Wire.Money(power),
                    ["cost_basis"] = Wire.Money(value),
                });
        }

        var held = HeldForSells(account, asset);
        var available = Math.Max(0, existing - held);
        return requested <= available
            ? null
            : new Refusal(403, AlpacaError.Forbidden,
                $"insufficient qty available for order (requested: {Wire.Num(requested)}, available: {Wire.Num(available)})",
                new Dictionary<string, object?>
                {
                    ["available"] = Wire.Num(available),
                    ["existing_qty"] = Wire.Num(existing),
                    ["held_for_orders"] = Wire.Num(held),
                    ["symbol"] = asset.Symbol,
                });
    }

    private SimOrder Create(AccountState account, OrderRequest r, Asset asset, string orderClass, string clientOrderId, decimal price)
    {
        var now = time.GetUtcNow();
        var expiresAt = r.TimeInForce == "gtc" ? now.AddDays(90) : clock.NextSessionClose(now);
        var exitSide = r.Side == "buy" ? "sell" : "buy";
        var order = new SimOrder
        {
            Id = Guid.NewGuid(),
            ClientOrderId = clientOrderId,
            Asset = asset,
            Side = r.Side!,
            Type = r.Type!,
            TimeInForce = r.TimeInForce!,
            OrderClass = orderClass,
            PositionIntent = r.PositionIntent ?? (r.Side == "buy" ? "buy_to_open" : "sell_to_close"),
            Qty = r.Qty,
            Notional = r.Notional,
            LimitPrice = r.Type is "limit" or "stop_limit" ? r.LimitPrice ?? r.TakeProfitLimitPrice : null,
            StopPrice = r.Type is "stop" or "stop_limit" ? r.StopPrice : null,
            TrailPrice = r.Type == "trailing_stop" ? r.TrailPrice : null,
            TrailPercent = r.Type == "trailing_stop" ? r.TrailPercent : null,
            ExtendedHours = r.ExtendedHours,
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = expiresAt,
            Status = OrderStatus.New,
        };
        if (order.Type == "trailing_stop")
        {
            UpdateTrail(order, price);
        }

        account.Add(order);

        // Exits: bracket = take profit + stop loss (held until the entry fills), oto = one of them,
        // oco = the order above is the take profit and the stop loss rides along, both live at once.
        var legStatus = orderClass == "oco" ? OrderStatus.New : OrderStatus.Held;
        if (orderClass is "bracket" or "oto" && r.TakeProfitLimitPrice is { } takeProfit)
        {
            AddLeg(account, order, exitSide, "limit", takeProfit, null, legStatus);
        }

        if (orderClass is "bracket" or "oto" or "oco" && r.StopLossStopPrice is { } stopLoss)
        {
            var side = orderClass == "oco" ? r.Side! : exitSide;
            AddLeg(account, order, side, r.StopLossLimitPrice is null ? "stop" : "stop_limit", r.StopLossLimitPrice, stopLoss, legStatus);
        }

        return order;
    }

    private static void AddLeg(AccountState account, SimOrder parent, string side, string type, decimal? limit, decimal? stop, string status)
    {
        var leg = new SimOrder
        {
            Id = Guid.NewGuid(),
            ClientOrderId = Guid.NewGuid().ToString(),
            Asset = parent.Asset,
            Side = side,
            Type = type,
            TimeInForce = parent.TimeInForce,
            OrderClass = parent.OrderClass,
            PositionIntent = side == "buy" ? "buy_to_close" : "sell_to_close",
            Qty = parent.Qty,
            LimitPrice = limit,
            StopPrice = stop,
            CreatedAt = parent.CreatedAt,
            UpdatedAt = parent.CreatedAt,
            ExpiresAt = parent.ExpiresAt,
            Status = status,
            Parent = parent,
        };
        parent.Legs.Add(leg);
        account.Add(leg);
    }

    /// <summary>Fills the order (or part of it) if its price condition holds now.</summary>
    private bool TryExecute(AccountState account, SimOrder order, DateTimeOffset now, bool atPlacement)
    {
        if (!clock.IsOpen(now) && !order.ExtendedHours)
        {
            return false;
        }

        var price = prices.Current(order.Asset);
        var marketable = order.Type switch
        {
            "market" => true,
            "limit" => WithinLimit(order, price),
            "stop" => StopHit(order, price),
            "stop_limit" => (order.StopTriggered = order.StopTriggered || StopHit(order, price)) && WithinLimit(order, price),
            "trailing_stop" => UpdateTrail(order, price),
            _ => false,
        };
        if (!marketable)
        {
            return false;
        }

        var qty = order.Notional is { } notional
            ? Math.Round(notional / price, 9, MidpointRounding.ToZero)
            : order.Remaining;
        if (!atPlacement && order.Type == "limit" && order.Parent is null && order.OrderClass is "" or "simple"
            && order.TimeInForce is not ("ioc" or "fok") && order.Qty > PartialFillAbove && order.FilledQty == 0)
        {
            qty = decimal.Floor(order.Qty.Value / 2);
        }

        var shortSale = ShortingEnabled && (!account.Positions.TryGetValue(order.Asset.Symbol, out var position) || position.Qty <= 0);
        if (!order.IsBuy && !shortSale && (!account.Positions.TryGetValue(order.Asset.Symbol, out var held) || held.Qty < qty))
        {
            Close(order, OrderStatus.Canceled, now); // the shares are gone (e.g. sold by another order)
            return false;
        }

        ApplyFill(account, order, qty, price, now);
        return true;
    }

    private static bool WithinLimit(SimOrder order, decimal price) =>
        order.IsBuy ? price <= order.LimitPrice : price >= order.LimitPrice;

    private static bool StopHit(SimOrder order, decimal price) =>
        order.IsBuy ? price >= order.StopPrice : price <= order.StopPrice;

    /// <summary>Moves the high-water mark and the stop with it; true when the stop is hit.</summary>
    private static bool UpdateTrail(SimOrder order, decimal price)
    {
        var hwm = order.Hwm ?? price;
        hwm = order.IsBuy ? Math.Min(hwm, price) : Math.Max(hwm, price);
        order.Hwm = hwm;
        var distance = order.TrailPrice ?? (hwm * order.TrailPercent!.Value / 100);
        order.StopPrice = Math.Round(order.IsBuy ? hwm + distance : hwm - distance, 2);
        return StopHit(order, price);
    }

    private static void ApplyFill(AccountState account, SimOrder order, decimal qty, decimal price, DateTimeOffset now)
    {
        var value = qty * price;
        if (!account.Positions.TryGetValue(order.Asset.Symbol, out var holding))
        {
            holding = account.Positions[order.Asset.Symbol] = new Holding(order.Asset);
        }

        // Signed: a short is a negative qty with a negative cost basis, so the average entry stays positive.
        var signed = order.IsBuy ? qty : -qty;
        var heldBefore = holding.Qty;
        var heldAfter = heldBefore + signed;
        account.Cash -= signed * price;
        holding.CostBasis = heldBefore == 0 || Math.Sign(heldBefore) == Math.Sign(signed)
            ? holding.CostBasis + (signed * price)
            : Math.Sign(heldAfter) == Math.Sign(heldBefore) ? holding.AvgEntryPrice * heldAfter : heldAfter * price;
        holding.Qty = heldAfter;
        if (holding.Qty == 0)
        {
            account.Positions.Remove(order.Asset.Symbol);
        }

        var before = order.FilledQty;
        order.FilledAvgPrice = ((order.FilledAvgPrice ?? 0) * before + value) / (before + qty);
        order.FilledQty = before + qty;
        var done = order.Notional is not null || order.FilledQty >= order.Qty;
        order.Status = done ? OrderStatus.Filled : OrderStatus.PartiallyFilled;
        order.UpdatedAt = now;
        if (done)
        {
            order.FilledAt = now;
        }

        account.Fills.Add(new FillRecord(
            now.UtcDateTime.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture) + "::" + Guid.NewGuid(),
            now, done ? "fill" : "partial_fill", price, qty, order.Side, order.Asset.Symbol,
            done ? 0 : order.Remaining, order.Id, order.FilledQty, order.Status));

        if (!done)
        {
            return;
        }

        foreach (var leg in order.Legs.Where(l => l.Status == OrderStatus.Held))
        {
            leg.Status = OrderStatus.New;
            leg.UpdatedAt = now;
        }

        foreach (var sibling in order.OcoSiblings().Where(s => s.IsOpen))
        {
            Close(sibling, OrderStatus.Canceled, now);
        }
    }

    /// <summary>Cancels or expires an order; held legs go with it, and an oco partner goes too.</summary>
    private static void Close(SimOrder order, string status, DateTimeOffset at)
    {
        if (!order.IsOpen)
        {
            return;
        }

        order.Status = status;
        order.UpdatedAt = at;
        if (status == OrderStatus.Expired)
        {
            order.ExpiredAt = at;
        }
        else
        {
            order.CanceledAt = at;
        }

        foreach (var leg in order.Legs.Where(l => l.Status == OrderStatus.Held))
        {
            Close(leg, OrderStatus.Canceled, at);
        }

        foreach (var sibling in order.OcoSiblings().Where(s => s.IsOpen))
        {
            Close(sibling, status, at);
        }
    }
}
