using System.Collections.Concurrent;
using System.Globalization;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Trading;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Signals;

/// <summary>The signal log over HTTP (key-authenticated): a hook's signals newest first, one signal with its outcome per subscriber.</summary>
public sealed class SignalLogApi(SignalHookStore hooks, SignalLog log, TradeStore trades)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public sealed record SignalSummary(
        string Id, string HookId, string Status, string? Reason, string Ticker, string Action, SignalAlert Alert, string? Source,
        DateTimeOffset ReceivedAt, DateTimeOffset? CompletedAt, int? Placed, int? Refused, int? Failed);

    /// <summary>A page; <c>next</c> is the <c>after</c> of the next page, absent on the last.</summary>
    public sealed record SignalPage(string HookId, IReadOnlyList<SignalSummary> Signals, string? Next);

    public sealed record OutcomeTrade(string Id, string? Status, string? AlpacaOrderId, string? FilledQty, string? Reason);

    public sealed record OutcomeView(string UserId, string Env, string Status, string? Reason, IReadOnlyList<OutcomeTrade> Trades, IReadOnlyList<string> CanceledOrderIds);

    public sealed record SignalDetail(SignalSummary Signal, string? RawBody, bool RawBodyTruncated, IReadOnlyList<OutcomeView> Outcomes);

    public async Task<IResult> ListAsync(HttpRequest request, string hookId)
    {
        var ct = request.HttpContext.RequestAborted;
        var errors = new Dictionary<string, string[]>();
        var limit = DefaultPageSize;
        if (request.Query["limit"] is { Count: > 0 } l && (!int.TryParse(l.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPageSize))
            errors["limit"] = [$"From 1 to {MaxPageSize}."];
        string? after = null;
        if (request.Query["after"] is { Count: > 0 } a && !SignalIds.TryParse(a.ToString(), out _, out after))
            errors["after"] = ["The next value of the previous page."];
        if (errors.Count > 0)
            return Problems.Validation(errors);
        if (await hooks.FindAsync(hookId, ct) is null)
            return Problems.NotFound($"No signal hook '{hookId}'.");
        var (page, next) = await log.ListAsync(hookId, limit, after, ct);
        return JsonBody.Ok(new SignalPage(hookId, page.Select(Summary).ToList(), next is null ? null : SignalIds.Compose(hookId, next)));
    }

    /// <summary>GET /api/signals/{signalId}: the signal, its (redacted) body, and each subscriber's outcome with its trades' current status.</summary>
    public async Task<IResult> GetAsync(HttpRequest request, string signalId)
    {
        var ct = request.HttpContext.RequestAborted;
        if (!SignalIds.TryParse(signalId, out var hookId, out var key) || await log.GetAsync(hookId, key, ct) is not { } signal)
            return Problems.NotFound($"No signal '{signalId}'.");
        var outcomes = await log.OutcomesAsync(hookId, key, ct);
        var tradeIds = outcomes.SelectMany(o => o.TradeIds.Split(',', StringSplitOptions.RemoveEmptyEntries)).Distinct().ToList();
        var found = new ConcurrentDictionary<string, TradeEntity?>();
        await Parallel.ForEachAsync(tradeIds, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (id, token) =>
            found[id] = TradeIds.TryParse(id, out var user, out var row) ? await trades.GetAsync(user, row, token) : null);
        var views = outcomes.Select(o => new OutcomeView(o.UserId, o.Env, o.Status, o.Reason,
            o.TradeIds.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(id => found.GetValueOrDefault(id) is { } t
                ? new OutcomeTrade(id, t.Status, t.AlpacaOrderId, t.FilledQty, t.Reason)
                : new OutcomeTrade(id, null, null, null, null)).ToList(),
            o.CanceledOrderIds.Split(',', StringSplitOptions.RemoveEmptyEntries))).ToList();
        return JsonBody.Ok(new SignalDetail(Summary(signal), signal.RawBody, signal.RawBodyTruncated, views));
    }

    private static SignalSummary Summary(SignalEntity s) =>
        new(s.Id, s.PartitionKey, s.Status, s.Reason, s.Ticker, s.Action, s.Alert, s.Source, s.ReceivedAt, s.CompletedAt, s.Placed, s.Refused, s.Failed);
}
