using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Secrets;
using AlpacaConnect.Core.Trading;
using Azure;
using ModelContextProtocol.Protocol;

namespace AlpacaConnect.Core.Agents;

internal static partial class TradeSymbols
{
    public static bool IsValid(string? symbol) => symbol is not null && Pattern().IsMatch(symbol);

    [GeneratedRegex("^[A-Z][A-Z0-9]{0,9}([./][A-Z0-9]{1,5})?$")]
    private static partial Regex Pattern();
}

/// <summary>
/// preview_trade and place_trade: an order is checked as POST /api/trades checks it and against the
/// token's limits, stored as a preview under a confirmation id, and placed through
/// <see cref="TradeIntake"/> with the confirmation as its idempotency key, so a repeated place
/// answers the same trade. The day's spend is reserved (ETag-guarded) before the trade is accepted.
/// </summary>
public sealed class AgentTrading(
    AlpacaTradingClient alpaca,
    TradePreviewStore previews,
    TradeIntake intake,
    TimeProvider time)
{
    /// <summary>The confirmation a direct placement gets: one per token and idempotency key.</summary>
    public static string DirectConfirmationId(AgentTokenEntity grant, string idempotencyKey) =>
        Hashing.Sha256Hex($"direct\n{grant.RowKey}\n{idempotencyKey}")[..32];

    public static string IdempotencyKey(string confirmationId) => "agent-confirmation:" + confirmationId;

    public async Task<CallToolResult> PreviewAsync(AgentContext ctx, TradeOrder order, string? confirmationId, CancellationToken ct)
    {
        var limits = ctx.Grant.Limits;
        if (!limits.CanTrade)
            return ToolResults.Error("This agent token is read-only: it cannot preview or place trades.");

        var request = new TradeRequest(ctx.Grant.PartitionKey, ctx.EnvName, order);
        var problems = TradeValidator.Validate(request).SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")).ToList();
        if (!ctx.Connection.HasScope("trading"))
            problems.Add($"connection: the {ctx.EnvName} connection was granted without the 'trading' scope.");
        if (limits.AllowedSymbols is { } symbols && order.Symbol is not null && !symbols.Contains(order.Symbol))
            problems.Add($"order.symbol: this agent token may trade {string.Join(", ", symbols)} only.");
        if (problems.Count > 0)
            return ToolResults.Error("The order was not previewed:\n" + string.Join("\n", problems));

        var account = await alpaca.GetAccountAsync(ctx.Env, ctx.Token, ct);
        var price = await ReferencePriceAsync(ctx, order, ct);
        decimal? estimate = AgentAmounts.Parse(order.Notional) ?? (price is { } p && AgentAmounts.Parse(order.Qty) is { } q ? Math.Round(p * q, 2) : null);
        var now = time.GetUtcNow();
        var spent = limits.PerDay is null ? 0 : await previews.SpentAsync(ctx.Grant.PartitionKey, ctx.Grant.RowKey, now, ct);

        if (estimate is null && (limits.PerOrder is not null || limits.PerDay is not null))
            problems.Add("order: its cost cannot be estimated (no price for a market order by qty); size it by notional or give a limit price so the token's limits can be checked.");
        if (estimate is { } cost && limits.PerOrder is { } perOrder && cost > perOrder)
            problems.Add($"order: estimated cost {AgentAmounts.Format(cost)} is over this token's max_notional_per_order of {AgentAmounts.Format(perOrder)}.");
        if (estimate is { } dayCost && limits.PerDay is { } perDay && spent + dayCost > perDay)
            problems.Add($"order: estimated cost {AgentAmounts.Format(dayCost)} with {AgentAmounts.Format(spent)} placed today is over this token's max_notional_per_day of {AgentAmounts.Format(perDay)}.");
        if (problems.Count > 0)
            return ToolResults.Error("The order is outside this agent token's limits:\n" + string.Join("\n", problems));

        var preview = new TradePreviewEntity
        {
            PartitionKey = ctx.Grant.PartitionKey,
            RowKey = confirmationId ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            TokenRowKey = ctx.Grant.RowKey,
            Env = ctx.EnvName,
            OrderJson = JsonSerializer.Serialize(order, JsonBody.Options),
            EstimatedNotional = estimate?.ToString(CultureInfo.InvariantCulture),
            ExpiresAt = now + TradePreviewStore.Lifetime,
        };
        try
        {
            await previews.AddAsync(preview, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 409 && confirmationId is not null)
        {
            // A direct placement repeated: its preview is there already; placing it answers the same trade.
            var existing = await previews.GetAsync(ctx.Grant.PartitionKey, confirmationId, ct);
            if (existing is null || existing.OrderJson != preview.OrderJson)
                return ToolResults.Error("This idempotency_key was used for another order. Use a new key for a new trade.");
            preview = existing;
        }

        var buyingPower = account.IsSuccess ? AgentAmounts.Parse(account.Value!.BuyingPower) : null;
        var wouldSend = order.ToAlpaca("acf-<set from the trade id at placement>");
        var text = new StringBuilder($"Preview ({ctx.EnvName}): {order.Side} {order.Qty ?? "$" + order.Notional} {order.Symbol} {order.Type} {order.TimeInForce}");
        text.Append(estimate is { } e ? $", estimated cost {AgentAmounts.Format(e)}" : ", cost not estimated (no price)");
        if (buyingPower is { } bp)
            text.Append(CultureInfo.InvariantCulture, $", buying power {AgentAmounts.Format(bp)}");
        if (order.Side == "buy" && estimate > buyingPower)
            text.Append(" (more than the buying power: Alpaca would likely refuse it)");
        text.Append(CultureInfo.InvariantCulture, $". Nothing was sent. To place it, call place_trade with confirmation_id {preview.RowKey} before {preview.ExpiresAt:O}.");
        return ToolResults.Ok(text.ToString(), new
        {
            confirmation_id = preview.RowKey,
            expires_at = preview.ExpiresAt,
            env = ctx.EnvName,
            would_send = wouldSend,
            estimated_cost = estimate is { } c ? AgentAmounts.Format(c) : null,
            reference_price = price is { } rp ? rp.ToString(CultureInfo.InvariantCulture) : null,
            buying_power = account.IsSuccess ? account.Value!.BuyingPower : null,
            placed_today = limits.PerDay is null ? null : AgentAmounts.Format(spent),
            limits,
        });
    }

    public async Task<CallToolResult> PlaceAsync(AgentTokenEntity grant, string confirmationId, CancellationToken ct)
    {
        if (!grant.Limits.CanTrade)
            return ToolResults.Error("This agent token is read-only: it cannot place trades.");
        if (confirmationId.Length != 32 || !confirmationId.All(char.IsAsciiHexDigitLower))
            return ToolResults.Error("confirmation_id: not one preview_trade gave.");
        var preview = await previews.GetAsync(grant.PartitionKey, confirmationId, ct);
        if (preview is null || preview.TokenRowKey != grant.RowKey || !grant.EnvList.Contains(preview.Env))
            return ToolResults.Error($"No preview '{confirmationId}' for this agent token. Preview the order with preview_trade.");
        var now = time.GetUtcNow();

        var reserved = 0m;
        if (preview.PlacedAt is null)
        {
            if (preview.ExpiresAt <= now)
                return ToolResults.Error("The confirmation expired; preview the order again.");
            var amount = AgentAmounts.Parse(preview.EstimatedNotional) ?? 0;
            if (!await previews.TryReserveAsync(grant.PartitionKey, grant.RowKey, now, amount, grant.Limits.PerDay, ct))
                return ToolResults.Error($"Placing it would go over this token's max_notional_per_day of {grant.Limits.MaxNotionalPerDay}.");
            if (await previews.TryMarkPlacedAsync(preview, now, ct))
                reserved = amount;
            else
                // Another call placed it meanwhile: give the room back, and answer that call's trade below.
                await previews.ReleaseAsync(grant.PartitionKey, grant.RowKey, now, amount, ct);
        }

        var order = JsonSerializer.Deserialize<TradeOrder>(preview.OrderJson, JsonBody.Options)!;
        var outcome = await intake.AcceptAsync(new TradeRequest(grant.PartitionKey, preview.Env, order), IdempotencyKey(confirmationId), "agent:" + grant.Id, ct);
        switch (outcome)
        {
            case TradeIntake.Accepted accepted:
                return ToolResults.Ok("Placed. " + AgentTrade.Describe(accepted.Trade) + " Follow it with get_trade.", new { trade = AgentTrade.From(accepted.Trade) });
            case TradeIntake.Replayed replayed:
                return ToolResults.Ok("Already placed (this confirmation places one trade). " + AgentTrade.Describe(replayed.Trade), new { trade = AgentTrade.From(replayed.Trade), replayed = true });
            case TradeIntake.Invalid invalid:
                if (reserved != 0)
                    await previews.ReleaseAsync(grant.PartitionKey, grant.RowKey, now, reserved, ct);
                return ToolResults.Error("The trade was refused; nothing was placed:\n" + string.Join("\n", invalid.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))));
            default:
                return ToolResults.Error("This confirmation names another trade; preview the order again.");
        }
    }

    /// <summary>The price a qty order is costed at: its limit or stop price, else the position's current price (if held).</summary>
    private async Task<decimal?> ReferencePriceAsync(AgentContext ctx, TradeOrder order, CancellationToken ct)
    {
        var stated = order.OrderClass == "oco" ? order.TakeProfit?.LimitPrice : order.Type switch
        {
            "limit" or "stop_limit" => order.LimitPrice,
            "stop" => order.StopPrice,
            _ => null,
        };
        if (AgentAmounts.Parse(stated) is { } price)
            return price;
        if (order.Symbol is null || order.Notional is not null)
            return null;
        var position = await alpaca.GetPositionAsync(ctx.Env, ctx.Token, order.Symbol, ct);
        return position.IsSuccess ? AgentAmounts.Parse(position.Value!.CurrentPrice) : null;
    }
}
