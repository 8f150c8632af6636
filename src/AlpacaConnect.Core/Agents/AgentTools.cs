using System.ComponentModel;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Trading;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AlpacaConnect.Core.Agents;

/// <summary>The agent token behind an MCP request (set by <see cref="AgentAuthentication"/>).</summary>
public sealed class AgentIdentity(AgentTokenEntity token)
    : ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, token.Id)], Scheme)
{
    public const string Scheme = "AgentToken";

    public AgentTokenEntity Token { get; } = token;
}

/// <summary>
/// The MCP tools an agent calls for its one app user. Each acts only on that user's connections in
/// the token's envs, within its tools and limits; every failure is a tool result with isError (the
/// SDK turns anything thrown into one too), never an HTTP error.
/// </summary>
[McpServerToolType]
// Parameter names are the tools' argument names: snake_case, like Alpaca's fields and the API's JSON.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores")]
public sealed class AgentTools(
    ConnectionStore connections,
    ConnectionTokens tokens,
    AlpacaTradingClient alpaca,
    TradeStore trades,
    TradeCancellation cancellation,
    AgentTrading trading)
{
    public static readonly IReadOnlyList<string> Names =
    [
        "list_connections", "get_account", "get_positions", "get_position", "list_orders", "get_trade", "list_trades",
        "get_clock", "get_asset", "preview_trade", "place_trade", "cancel_trade", "close_position",
    ];

    private const string EnvDescription = "paper or live; may be left out when the token allows one env only.";

    [McpServerTool(Name = "list_connections", ReadOnly = true), Description("The user's Alpaca connections in this token's envs: env, account, scopes, status.")]
    public async Task<CallToolResult> ListConnections(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default)
    {
        if (Begin(request, "list_connections") is { Error: { } error })
            return error;
        var grant = Grant(request);
        var list = (await connections.ListAsync(grant.PartitionKey, cancellationToken)).Where(c => grant.EnvList.Contains(c.Env)).ToList();
        var text = list.Count == 0
            ? "No connections in this token's envs."
            : string.Join("\n", list.Select(c => $"{c.Env}: account {c.AccountNumber}, {c.Status}, scopes '{c.Scopes}'"));
        return ToolResults.Ok(text, new { connections = list });
    }

    [McpServerTool(Name = "get_account", ReadOnly = true), Description("The Alpaca account: status, cash, buying power, equity.")]
    public async Task<CallToolResult> GetAccount(RequestContext<CallToolRequestParams> request, [Description(EnvDescription)] string? env = null, CancellationToken cancellationToken = default)
    {
        var (ctx, error) = await OpenAsync(request, "get_account", env, cancellationToken);
        if (error is not null)
            return error;
        var result = await alpaca.GetAccountAsync(ctx.Env, ctx.Token, cancellationToken);
        if (!result.IsSuccess)
            return await RefusalAsync(ctx, result.Error!, "account read");
        var a = result.Value!;
        return ToolResults.Ok($"Account {a.AccountNumber} ({ctx.EnvName}): {a.Status}, cash {a.Cash}, buying power {a.BuyingPower}, equity {a.Equity} {a.Currency}.",
            new { env = ctx.EnvName, account = a });
    }

    [McpServerTool(Name = "get_positions", ReadOnly = true), Description("Open positions: symbol, qty, side, market value, unrealized P/L.")]
    public async Task<CallToolResult> GetPositions(RequestContext<CallToolRequestParams> request, [Description(EnvDescription)] string? env = null, CancellationToken cancellationToken = default)
    {
        var (ctx, error) = await OpenAsync(request, "get_positions", env, cancellationToken);
        if (error is not null)
            return error;
        var result = await alpaca.ListPositionsAsync(ctx.Env, ctx.Token, cancellationToken);
        if (!result.IsSuccess)
            return await RefusalAsync(ctx, result.Error!, "positions read");
        var positions = result.Value!;
        var text = positions.Count == 0 ? $"No open positions ({ctx.EnvName})."
            : $"{positions.Count} open positions ({ctx.EnvName}):\n" + string.Join("\n", positions.Select(Describe));
        return ToolResults.Ok(text, new { env = ctx.EnvName, positions });
    }

    [McpServerTool(Name = "get_position", ReadOnly = true), Description("One open position by symbol.")]
    public async Task<CallToolResult> GetPosition(RequestContext<CallToolRequestParams> request,
        [Description("Ticker, e.g. AAPL.")] string symbol, [Description(EnvDescription)] string? env = null, CancellationToken cancellationToken = default)
    {
        var (ctx, error) = await OpenAsync(request, "get_position", env, cancellationToken);
        if (error is not null)
            return error;
        if (!TradeSymbols.IsValid(symbol))
            return ToolResults.Error("symbol: must be an uppercase ticker such as AAPL or BRK.B.");
        var result = await alpaca.GetPositionAsync(ctx.Env, ctx.Token, symbol, cancellationToken);
        if (!result.IsSuccess)
            return result.Error!.Kind == AlpacaErrorKind.NotFound
                ? ToolResults.Error($"No open {symbol} position ({ctx.EnvName}).")
                : await RefusalAsync(ctx, result.Error!, "position read");
        return ToolResults.Ok(Describe(result.Value!), new { env = ctx.EnvName, position = result.Value });
    }

    [McpServerTool(Name = "list_orders", ReadOnly = true), Description("Alpaca's orders for the account, newest first.")]
    public async Task<CallToolResult> ListOrders(RequestContext<CallToolRequestParams> request,
        [Description("open (default), closed or all.")] string status = "open",
        [Description("1 to 500, default 50.")] int limit = 50,
        [Description(EnvDescription)] string? env = null, CancellationToken cancellationToken = default)
    {
        var (ctx, error) = await OpenAsync(request, "list_orders", env, cancellationToken);
        if (error is not null)
            return error;
        if (status is not ("open" or "closed" or "all"))
            return ToolResults.Error("status: must be open, closed or all.");
        if (limit is < 1 or > 500)
            return ToolResults.Error("limit: must be from 1 to 500.");
        var result = await alpaca.ListOrdersAsync(ctx.Env, ctx.Token, new AlpacaOrderQuery { Status = status, Limit = limit, Nested = true }, cancellationToken);
        if (!result.IsSuccess)
            return await RefusalAsync(ctx, result.Error!, "orders read");
        var orders = result.Value!;
        var text = orders.Count == 0 ? $"No {status} orders ({ctx.EnvName})."
            : $"{orders.Count} {status} orders ({ctx.EnvName}):\n" + string.Join("\n", orders.Select(o => $"{o.Side} {o.Qty ?? "$" + o.Notional} {o.Symbol} {o.Type}: {o.Status}, filled {o.FilledQty}"));
        return ToolResults.Ok(text, new { env = ctx.EnvName, orders });
    }

    [McpServerTool(Name = "get_trade", ReadOnly = true), Description("One trade of this user (placed by any means): status, history, fills.")]
    public async Task<CallToolResult> GetTrade(RequestContext<CallToolRequestParams> request,
        [Description("The trade id, e.g. from place_trade or list_trades.")] string trade_id, CancellationToken cancellationToken = default)
    {
        if (Begin(request, "get_trade") is { Error: { } error })
            return error;
        var trade = await FindTradeAsync(Grant(request), trade_id, cancellationToken);
        return trade is null ? ToolResults.Error($"No trade '{trade_id}'.") : ToolResults.Ok(AgentTrade.Describe(trade), new { trade = AgentTrade.From(trade) });
    }

    [McpServerTool(Name = "list_trades", ReadOnly = true), Description("This user's trades in the token's envs, newest first.")]
    public async Task<CallToolResult> ListTrades(RequestContext<CallToolRequestParams> request,
        [Description("Only trades with this status (accepted, submitted, partially_filled, filled, canceled, expired, rejected, failed).")] string? status = null,
        [Description("1 to 100, default 20.")] int limit = 20, CancellationToken cancellationToken = default)
    {
        if (Begin(request, "list_trades") is { Error: { } error })
            return error;
        if (limit is < 1 or > 100)
            return ToolResults.Error("limit: must be from 1 to 100.");
        var grant = Grant(request);
        var found = new List<TradeEntity>();
        await foreach (var trade in trades.QueryUserAsync(grant.PartitionKey, cancellationToken))
            if (grant.EnvList.Contains(trade.Env) && (status is null || trade.Status == status))
                found.Add(trade);
        var newest = found.OrderByDescending(t => t.CreatedAt).Take(limit).ToList();
        var text = newest.Count == 0 ? "No trades." : string.Join("\n", newest.Select(AgentTrade.Describe));
        return ToolResults.Ok(text, new { trades = newest.Select(AgentTrade.From).ToList() });
    }

    [McpServerTool(Name = "get_clock", ReadOnly = true), Description("Whether the market is open, and the next open and close.")]
    public async Task<CallToolResult> GetClock(RequestContext<CallToolRequestParams> request, [Description(EnvDescription)] string? env = null, CancellationToken cancellationToken = default)
    {
        var (ctx, error) = await OpenAsync(request, "get_clock", env, cancellationToken);
        if (error is not null)
            return error;
        var result = await alpaca.GetClockAsync(ctx.Env, ctx.Token, cancellationToken);
        if (!result.IsSuccess)
            return await RefusalAsync(ctx, result.Error!, "clock read");
        var c = result.Value!;
        return ToolResults.Ok($"The market is {(c.IsOpen ? "open" : "closed")} at {c.Timestamp:O}; next open {c.NextOpen:O}, next close {c.NextClose:O}.", new { clock = c });
    }

    [McpServerTool(Name = "get_asset", ReadOnly = true), Description("An asset by symbol: name, exchange, whether it is tradable and fractionable.")]
    public async Task<CallToolResult> GetAsset(RequestContext<CallToolRequestParams> request,
        [Description("Ticker, e.g. AAPL.")] string symbol, [Description(EnvDescription)] string? env = null, CancellationToken cancellationToken = default)
    {
        var (ctx, error) = await OpenAsync(request, "get_asset", env, cancellationToken);
        if (error is not null)
            return error;
        if (!TradeSymbols.IsValid(symbol))
            return ToolResults.Error("symbol: must be an uppercase ticker such as AAPL or BRK.B.");
        var result = await alpaca.GetAssetAsync(ctx.Env, ctx.Token, symbol, cancellationToken);
        if (!result.IsSuccess)
            return result.Error!.Kind == AlpacaErrorKind.NotFound ? ToolResults.Error($"No asset {symbol}.") : await RefusalAsync(ctx, result.Error!, "asset read");
        var a = result.Value!;
        var name = UntrustedText.From(a.Name);
        return ToolResults.Ok(
            $"{a.Symbol}: {name?.Tagged ?? "(no name)"} on {a.Exchange}; {(a.Tradable ? "tradable" : "not tradable")}, {(a.Fractionable ? "fractionable" : "whole shares only")}.",
            new
            {
                asset = new
                {
                    a.Id, a.Symbol, Name = name, a.Class, a.Exchange, a.Status, a.Tradable, a.Fractionable, a.Marginable, a.Shortable, a.EasyToBorrow,
                },
            });
    }

    [McpServerTool(Name = "preview_trade", ReadOnly = true),
     Description("Checks an order as POST /api/trades would and against this token's limits, shows what would be sent and its estimated cost, and returns a confirmation_id for place_trade (valid 5 minutes). Nothing is sent.")]
    public async Task<CallToolResult> PreviewTrade(RequestContext<CallToolRequestParams> request,
        [Description("The order in Alpaca's fields: symbol, side, type, time_in_force, qty or notional, limit_price, stop_price, trail_price, trail_percent, extended_hours, order_class, take_profit, stop_loss. Sizes and prices as strings or numbers.")] TradeOrder order,
        [Description(EnvDescription)] string? env = null, CancellationToken cancellationToken = default)
    {
        var (ctx, error) = await OpenAsync(request, "preview_trade", env, cancellationToken);
        return error ?? await trading.PreviewAsync(ctx, order, confirmationId: null, cancellationToken);
    }

    [McpServerTool(Name = "place_trade", Destructive = true, Idempotent = true),
     Description("Places a previewed order (confirmation_id from preview_trade or close_position) through the trade pipeline, exactly once: the same call again answers the same trade. Tokens that allow direct placement may send order and idempotency_key instead.")]
    public async Task<CallToolResult> PlaceTrade(RequestContext<CallToolRequestParams> request,
        [Description("From preview_trade or close_position.")] string? confirmation_id = null,
        [Description("Direct placement only: the order in Alpaca's fields.")] TradeOrder? order = null,
        [Description("Direct placement only: unique per trade; repeating it never places a second order.")] string? idempotency_key = null,
        [Description(EnvDescription)] string? env = null, CancellationToken cancellationToken = default)
    {
        if (confirmation_id is not null)
        {
            if (Begin(request, "place_trade") is { Error: { } refused })
                return refused;
            return await trading.PlaceAsync(Grant(request), confirmation_id, cancellationToken);
        }
        var (ctx, error) = await OpenAsync(request, "place_trade", env, cancellationToken);
        if (error is not null)
            return error;
        if (!ctx.Grant.Limits.AllowDirectPlacement)
            return ToolResults.Error("confirmation_id is required: preview the order with preview_trade first (this token does not allow direct placement).");
        if (order is null || string.IsNullOrEmpty(idempotency_key) || idempotency_key.Length > 255)
            return ToolResults.Error("Direct placement needs order and idempotency_key (1-255 characters).");
        var confirmationId = AgentTrading.DirectConfirmationId(ctx.Grant, idempotency_key);
        var preview = await trading.PreviewAsync(ctx, order, confirmationId, cancellationToken);
        return preview.IsError is true ? preview : await trading.PlaceAsync(ctx.Grant, confirmationId, cancellationToken);
    }

    [McpServerTool(Name = "cancel_trade", Destructive = true), Description("Cancels one of this user's open trades at Alpaca (or before it gets there) and says what Alpaca answered.")]
    public async Task<CallToolResult> CancelTrade(RequestContext<CallToolRequestParams> request,
        [Description("The trade id.")] string trade_id, CancellationToken cancellationToken = default)
    {
        if (Begin(request, "cancel_trade") is { Error: { } error })
            return error;
        var grant = Grant(request);
        if (!grant.Limits.CanTrade)
            return ToolResults.Error("This agent token is read-only: it cannot cancel trades.");
        if (await FindTradeAsync(grant, trade_id, cancellationToken) is not { } found)
            return ToolResults.Error($"No trade '{trade_id}'.");

        return await cancellation.CancelAsync(found.PartitionKey, found.RowKey, cancellationToken) switch
        {
            TradeCancellation.Requested requested => ToolResults.Ok("Cancel sent. " + AgentTrade.Describe(requested.Trade), new { trade = AgentTrade.From(requested.Trade) }),
            TradeCancellation.NotFound => ToolResults.Error($"No trade '{trade_id}'."),
            TradeCancellation.AlreadyClosed closed => ToolResults.Error($"The trade is already {closed.Status}; only open trades can be canceled."),
            TradeCancellation.ConnectionInactive => ToolResults.Error("The connection is no longer active; cancel the order in Alpaca's dashboard."),
            TradeCancellation.Refused refused => ToolResults.Error($"Alpaca refused the cancel ({refused.Error.Kind}, HTTP {refused.Error.Status}): {UntrustedText.From(refused.Error.Message)!.Tagged}"),
            _ => ToolResults.Error("The trade is changing right now; try the cancel again."),
        };
    }

    [McpServerTool(Name = "close_position", ReadOnly = true),
     Description("Previews the market order that closes a whole position (sell a long, buy back a short) and returns its confirmation_id; place it with place_trade. The token's limits apply to it like to any order.")]
    public async Task<CallToolResult> ClosePosition(RequestContext<CallToolRequestParams> request,
        [Description("Ticker, e.g. AAPL.")] string symbol, [Description(EnvDescription)] string? env = null, CancellationToken cancellationToken = default)
    {
        var (ctx, error) = await OpenAsync(request, "close_position", env, cancellationToken);
        if (error is not null)
            return error;
        if (!TradeSymbols.IsValid(symbol))
            return ToolResults.Error("symbol: must be an uppercase ticker such as AAPL or BRK.B.");
        var position = await alpaca.GetPositionAsync(ctx.Env, ctx.Token, symbol, cancellationToken);
        if (!position.IsSuccess)
            return position.Error!.Kind == AlpacaErrorKind.NotFound
                ? ToolResults.Error($"No open {symbol} position ({ctx.EnvName}).")
                : await RefusalAsync(ctx, position.Error!, "position read");
        var qty = (position.Value!.Qty ?? "0").TrimStart('-');
        var order = new TradeOrder { Symbol = symbol, Side = position.Value.Side == "short" ? "buy" : "sell", Type = "market", TimeInForce = "day", Qty = qty };
        return await trading.PreviewAsync(ctx, order, confirmationId: null, cancellationToken);
    }

    private static AgentTokenEntity Grant(RequestContext<CallToolRequestParams> request) =>
        (request.User?.Identity as AgentIdentity)?.Token ?? throw new InvalidOperationException("The MCP request has no agent token.");

    /// <summary>Refuses a tool the token does not list.</summary>
    private static (AgentTokenEntity? Grant, CallToolResult? Error) Begin(RequestContext<CallToolRequestParams> request, string tool)
    {
        var grant = Grant(request);
        return grant.ToolList is { } allowed && !allowed.Contains(tool)
            ? (grant, ToolResults.Error($"This agent token does not allow {tool}. Allowed: {string.Join(", ", allowed)}."))
            : (grant, null);
    }

    /// <summary>The tool is allowed, the env is the token's, and the user has an active connection there.</summary>
    private async Task<(AgentContext Context, CallToolResult? Error)> OpenAsync(RequestContext<CallToolRequestParams> request, string tool, string? env, CancellationToken ct)
    {
        var (grant, error) = Begin(request, tool);
        if (error is not null)
            return (default!, error);
        var envs = grant!.EnvList;
        env ??= envs.Count == 1 ? envs[0] : null;
        if (env is null)
            return (default!, ToolResults.Error($"env: required, one of {string.Join(", ", envs)}."));
        if (!envs.Contains(env) || !AlpacaEnvNames.TryParse(env, out var alpacaEnv))
            return (default!, ToolResults.Error($"env: this agent token allows {string.Join(", ", envs)} only."));
        var connection = await tokens.GetAsync(grant.PartitionKey, alpacaEnv, ct);
        if (connection is null)
            return (default!, ToolResults.Error($"The user has no active {env} connection."));
        return (new AgentContext(grant, alpacaEnv, env, connection.Value.Connection, connection.Value.Token), null);
    }

    private async Task<TradeEntity?> FindTradeAsync(AgentTokenEntity grant, string tradeId, CancellationToken ct)
    {
        // Another user's trade id is simply not found: the partition is the token's user.
        if (!TradeIds.TryParse(tradeId, out var userId, out var rowKey) || userId != grant.PartitionKey)
            return null;
        var trade = await trades.GetAsync(userId, rowKey, ct);
        return trade is not null && grant.EnvList.Contains(trade.Env) ? trade : null;
    }

    private async Task<CallToolResult> RefusalAsync(AgentContext ctx, AlpacaError error, string what)
    {
        if (error.Kind == AlpacaErrorKind.Unauthorized)
            await tokens.RevokeAsync(ctx.Grant.PartitionKey, ctx.Env, CancellationToken.None);
        return ToolResults.Error($"Alpaca did not complete the {what} ({error.Kind}, HTTP {error.Status}): {UntrustedText.From(error.Message)!.Tagged}");
    }

    private static string Describe(AlpacaPosition p) =>
        $"{p.Symbol}: {p.Qty} ({p.Side}) avg {p.AvgEntryPrice}, now {p.CurrentPrice}, market value {p.MarketValue}, unrealized P/L {p.UnrealizedPl}";
}

/// <summary>One tool call's footing: the token, the env and the user's connection there.</summary>
public sealed record AgentContext(AgentTokenEntity Grant, AlpacaEnv Env, string EnvName, Connection Connection, AccessToken Token);

/// <summary>Tool results: structured content plus a short text; untrusted text announced.</summary>
internal static class ToolResults
{
    public static CallToolResult Ok(string text, object data)
    {
        var element = JsonSerializer.SerializeToElement(data, JsonBody.Options);
        var untrusted = text.Contains("<untrusted_data", StringComparison.Ordinal) || element.GetRawText().Contains("\"untrusted_data\"", StringComparison.Ordinal);
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = untrusted ? text + "\n\n" + UntrustedText.Notice : text }],
            StructuredContent = element,
        };
    }

    public static CallToolResult Error(string text) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = text.Contains("<untrusted_data", StringComparison.Ordinal) ? text + "\n\n" + UntrustedText.Notice : text }],
    };
}

/// <summary>A trade as tools show it: Alpaca's and users' text (reason, history details) marked untrusted.</summary>
internal static class AgentTrade
{
    public static object From(TradeEntity t)
    {
        var trade = t.ToTrade();
        return new
        {
            trade.Id, trade.Env, trade.Status, trade.Order, trade.ClientOrderId, trade.AlpacaOrderId, trade.AlpacaStatus,
            trade.FilledQty, trade.FilledAvgPrice, trade.FilledAt, Reason = UntrustedText.From(trade.Reason), trade.CancelRequested, trade.Origin,
            History = trade.History.Select(h => new { h.Status, h.At, Detail = UntrustedText.From(h.Detail) }).ToList(),
            trade.CreatedAt, trade.UpdatedAt,
        };
    }

    public static string Describe(TradeEntity t)
    {
        var o = t.Order;
        var text = new StringBuilder($"Trade {t.TradeId} ({t.Env}): {o.Side} {o.Qty ?? "$" + o.Notional} {o.Symbol} {o.Type}, {t.Status}");
        if (t.FilledQty is not null)
            text.Append(CultureInfo.InvariantCulture, $", filled {t.FilledQty} @ {t.FilledAvgPrice}");
        if (t.Reason is not null)
            text.Append(", reason ").Append(UntrustedText.From(t.Reason)!.Tagged);
        return text.Append('.').ToString();
    }
}
