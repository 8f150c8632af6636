using System.Globalization;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Trading;

namespace AlpacaConnect.Core.Signals;

public sealed partial class SignalFanOut
{
    /// <summary>
    /// One subscriber's signal: rules, sizing, the steps it takes. What a sell does without shorting:
    /// it exits the long (TradersPost's way), whole; with no long it is refused. What an opposite
    /// signal does is the hook's <see cref="SignalRules.OnOpposite"/>.
    /// </summary>
    private sealed class SubscriberRun(SignalFanOut fanOut, SignalHook hook, RecordedSignal signal, SignalSubscriber subscriber)
    {
        private readonly SignalAlert _alert = signal.Alert;
        private readonly SignalRules _rules = hook.Rules;
        private readonly string _symbol = signal.Alert.Ticker.Trim().ToUpperInvariant();
        private readonly List<string> _tradeIds = [];
        private readonly List<string> _canceled = [];
        private AlpacaEnv _env;
        private AccessToken _token = null!;
        private WindowState _window = new(true, false);

        public async Task<SubscriberOutcome> RunAsync(CancellationToken ct)
        {
            if (_rules.Paused)
                return Refused(SignalReasons.HookPaused, "the hook is paused (kill switch); nothing was placed.");
            if (!AlpacaEnvNames.TryParse(subscriber.Env, out _env) || await fanOut._tokens.GetAsync(subscriber.UserId, _env, ct) is not { } connection)
                return Refused(SignalReasons.ConnectionInactive, $"user '{subscriber.UserId}' has no active {subscriber.Env} connection.");
            _token = connection.Token;
            if (_rules.AllowedSymbols is { } allowed && !allowed.Contains(_symbol, StringComparer.OrdinalIgnoreCase))
                return Refused(SignalReasons.SymbolNotAllowed, $"{_symbol} is not among the hook's symbols ({string.Join(", ", allowed)}).");
            if (SignalIntents.From(_alert) is not { } intent)
                return Refused(SignalReasons.UnsupportedAction, $"'{_alert.Action}' is not buy, sell, add, exit or cancel.");
            if (intent == SignalIntent.Cancel)
                return await CancelAsync(ct);

            var clock = TradingWindows.NeedsClock(_rules.Window) ? Must(await fanOut._reads.ClockAsync(_env, _token), "reading Alpaca's clock") : null;
            _window = TradingWindows.At(_rules.Window, fanOut._time.GetUtcNow(), clock);
            if (!_window.Open)
                return Refused(SignalReasons.OutsideTradingWindow, _window.Why!);

            if (intent == SignalIntent.Exit)
                return await ExitAsync(longOnly: false, ct);
            if (intent == SignalIntent.Sell && (!_rules.AllowShort || SignalIntents.SaysLong(_alert)))
                return await ExitAsync(longOnly: true, ct);
            return await EnterAsync(intent, ct);
        }

        /// <summary>cancel: every open order in the symbol.</summary>
        private async Task<SubscriberOutcome> CancelAsync(CancellationToken ct)
        {
            await CancelOpenOrdersAsync(ct);
            return _canceled.Count > 0
                ? Placed()
                : Placed(SignalReasons.Format(SignalReasons.NothingToCancel, $"no open orders in {_symbol}."));
        }

        /// <summary>
        /// exit (or a sell without shorting): cancel the open orders in the symbol (they may hold the
        /// shares), then close the position with a market order through the trade pipeline under the
        /// "close" key, so a re-run cannot close twice (DELETE /v2/positions could).
        /// </summary>
        private async Task<SubscriberOutcome> ExitAsync(bool longOnly, CancellationToken ct)
        {
            var position = await PositionAsync(ct);
            var held = SignalOrders.SignedQty(position);
            if (held == 0 || (longOnly && held < 0))
            {
                if (!longOnly)
                    await CancelOpenOrdersAsync(ct);
                if (_canceled.Count > 0)
                    return Placed();
                return await RefusedUnlessEarlierAsync(SignalReasons.NoPosition, longOnly
                    ? $"no long position in {_symbol} to exit (the hook does not allow shorting, so a sell only exits a long)."
                    : $"no position and no open orders in {_symbol}.", ct);
            }
            await CancelOpenOrdersAsync(ct);
            if (await PlaceAsync(CloseStep, SignalOrders.Close(_symbol, held), ct) is { } notPlaced)
                return notPlaced;
            return Placed();
        }

        /// <summary>buy, sell (short), add: opposite position first (the hook's policy), then size, rules, the entry.</summary>
        private async Task<SubscriberOutcome> EnterAsync(SignalIntent intent, CancellationToken ct)
        {
            // Without shorting a buy has no opposite to find (the hook never opens a short), and no
            // max position to keep: its position is not read, one Alpaca call fewer per subscriber.
            var needsPosition = intent != SignalIntent.Buy || _rules.MaxPosition is not null || _rules.AllowShort;
            var position = needsPosition ? await PositionAsync(ct) : null;
            var held = SignalOrders.SignedQty(position);
            var isLong = intent switch
            {
                SignalIntent.Buy => true,
                SignalIntent.Sell => false,
                _ => held != 0 ? held > 0 : !SignalIntents.SaysShort(_alert),
            };
            if (!isLong && !_rules.AllowShort)
                return Refused(SignalReasons.ShortingNotAllowed, $"the hook does not allow shorting {_symbol}.");

            if (held != 0 && held > 0 != isLong)
            {
                if (_rules.OnOpposite == OppositeSignal.Ignore)
                    return await RefusedUnlessEarlierAsync(SignalReasons.OppositeIgnored, $"the account holds {SignalSizing.Text(held)} {_symbol}, opposite to the signal, and the hook ignores opposite signals.", ct);
                await CancelOpenOrdersAsync(ct);
                if (await PlaceAsync(CloseStep, SignalOrders.Close(_symbol, held), ct) is { } notPlaced)
                    return notPlaced;
                if (_rules.OnOpposite == OppositeSignal.FlattenOnly)
                    return Placed();
                if (!await WaitForFillAsync(CloseStep, ct))
                    return Placed(SignalReasons.Format(SignalReasons.FlattenPending, $"the order closing {SignalSizing.Text(held)} {_symbol} had not filled within {fanOut._options.FlattenTimeout.TotalSeconds:0} s, so the entry was not placed."));
                held = 0;
            }

            var price = SignalOrders.LimitOf(_alert) ?? SignalOrders.StopOf(_alert) ?? _alert.SignalPrice ?? SignalOrders.CurrentPrice(position);
            decimal? equity = null;
            if (SignalSizing.NeedsEquity(subscriber.Sizing, _alert))
            {
                var account = Must(await fanOut._reads.AccountAsync(subscriber.UserId, _env, _token), "reading the account");
                equity = decimal.TryParse(account.Equity, NumberStyles.Number, CultureInfo.InvariantCulture, out var e) ? e : null;
            }
            var fractional = subscriber.Sizing.AllowFractional && SignalOrders.CanBeFractional(_alert, _window.ExtendedSession);
            var (size, refusal) = SignalSizing.Size(subscriber.Sizing, _alert, equity, price, fractional);
            if (size is null)
                return await RefusedUnlessEarlierAsync(refusal!, ct);
            if (CheckLimits(size, price, held, isLong) is { } overLimit)
                return await RefusedUnlessEarlierAsync(overLimit, ct);

            var (order, invalid) = SignalOrders.Entry(_alert, _symbol, isLong, size, price, _window.ExtendedSession);
            if (order is null)
                return Refused(invalid!);
            return await PlaceAsync(EntryStep, order, ct) ?? Placed();
        }

        /// <summary>The hook's per-order limits and its max position after the order; a refusal, or null.</summary>
        private string? CheckLimits(OrderSize size, decimal? price, decimal held, bool isLong)
        {
            var qty = size.EstimatedQty(price);
            var notional = size.EstimatedNotional(price);
            if ((_rules.MaxQty is not null || _rules.MaxPosition is not null) && qty is null)
                return SignalReasons.Format(SignalReasons.PriceUnknown, $"the hook limits shares, and ${size.NotionalText} cannot be counted in shares without a price.");
            if (_rules.MaxNotional is not null && notional is null)
                return SignalReasons.Format(SignalReasons.PriceUnknown, "the hook limits an order's value, and the alert gave no price (price, limitPrice) to value it at.");
            if (_rules.MaxQty is { } maxQty && qty > maxQty)
                return SignalReasons.Format(SignalReasons.MaxQty, $"{SignalSizing.Text(qty!.Value)} shares is above the hook's max of {SignalSizing.Text(maxQty)} per order.");
            if (_rules.MaxNotional is { } maxNotional && notional > maxNotional)
                return SignalReasons.Format(SignalReasons.MaxNotional, $"${notional!.Value:0.00} is above the hook's max of ${maxNotional:0.00} per order.");
            if (_rules.MaxPosition is { } maxPosition && Math.Abs(held + (isLong ? qty!.Value : -qty!.Value)) > maxPosition)
                return SignalReasons.Format(SignalReasons.MaxPosition, $"{_symbol} would be {SignalSizing.Text(held + (isLong ? qty.Value : -qty.Value))} shares after the order, beyond the hook's max position of {SignalSizing.Text(maxPosition)}.");
            return null;
        }

        /// <summary>One step's trade through the pipeline; null when it was placed (or an earlier run had placed it), else the outcome that ends the run.</summary>
        private async Task<SubscriberOutcome?> PlaceAsync(string step, TradeOrder order, CancellationToken ct)
        {
            var request = new TradeRequest(subscriber.UserId, subscriber.Env, order);
            switch (await fanOut._trades.AcceptAndExecuteAsync(request, Key(step), Origin(hook.Id), ct))
            {
                case TradeIntake.Accepted accepted:
                    _tradeIds.Add(accepted.Trade.TradeId);
                    return null;
                case TradeIntake.Replayed replayed:
                    _tradeIds.Add(replayed.Trade.TradeId);
                    return null;
                case TradeIntake.KeyConflict conflict:
                    // An earlier run placed this step, sized on what the account showed then.
                    _tradeIds.Add(conflict.Existing.TradeId);
                    return null;
                case TradeIntake.Invalid invalid:
                    var problems = string.Join("; ", invalid.Errors.SelectMany(e => e.Value.Select(v => $"{e.Key}: {v}")));
                    return invalid.Errors.ContainsKey("connection")
                        ? Refused(SignalReasons.ConnectionInactive, problems)
                        : Refused(SignalReasons.InvalidOrder, problems);
                default:
                    throw new InvalidOperationException("Unknown trade outcome.");
            }
        }

        /// <summary>
        /// A refusal that depends on the account (its position, its equity) may be a re-run's view of
        /// what this signal's earlier run did (it bought, so now the max position is reached): if a
        /// trade of this signal exists for the subscriber, that is the outcome, not the refusal.
        /// </summary>
        private async Task<SubscriberOutcome> RefusedUnlessEarlierAsync(string code, string sentence, CancellationToken ct) =>
            await RefusedUnlessEarlierAsync(SignalReasons.Format(code, sentence), ct);

        private async Task<SubscriberOutcome> RefusedUnlessEarlierAsync(string reason, CancellationToken ct)
        {
            foreach (var step in new[] { CloseStep, EntryStep })
                if (await fanOut._store.GetAsync(subscriber.UserId, TradeIds.RowKeyFor(Key(step)), ct) is { } earlier)
                    _tradeIds.Add(earlier.TradeId);
            return _tradeIds.Count > 0 ? Placed() : Refused(reason);
        }

        private async Task<AlpacaPosition?> PositionAsync(CancellationToken ct)
        {
            var answer = await fanOut._alpaca.GetPositionAsync(_env, _token, _symbol, ct);
            return answer.Error?.Kind == AlpacaErrorKind.NotFound ? null : Must(answer, "reading the position");
        }

        /// <summary>Cancels every open order in the symbol (bracket legs go with their order: a 422 for one already gone is fine), then waits for the cancels to finish.</summary>
        private async Task CancelOpenOrdersAsync(CancellationToken ct)
        {
            var open = Must(await fanOut._alpaca.ListOrdersAsync(_env, _token, new AlpacaOrderQuery { Status = "open", Limit = 500, Symbols = [_symbol] }, ct), "listing open orders");
            var canceled = new List<string>();
            foreach (var order in open.Where(o => o.Status != "held"))
            {
                var answer = await fanOut._alpaca.CancelOrderAsync(_env, _token, order.Id, ct);
                if (answer.IsSuccess)
                    canceled.Add(order.Id);
                else if (answer.Error!.Kind is not (AlpacaErrorKind.Invalid or AlpacaErrorKind.NotFound))
                    Must(answer, "canceling an open order");
            }
            _canceled.AddRange(canceled);
            // Alpaca cancels asynchronously (pending_cancel); a closing order placed before that ends would find the shares still held.
            foreach (var id in canceled)
                await WaitAsync(async () =>
                {
                    var order = await fanOut._alpaca.GetOrderAsync(_env, _token, id, ct);
                    return order.IsSuccess && AlpacaOrderStatuses.IsTerminal(order.Value!.Status) ? true : null;
                }, ct);
        }

        /// <summary>Whether the step's order filled at Alpaca within the flatten timeout (read by its client_order_id).</summary>
        private Task<bool> WaitForFillAsync(string step, CancellationToken ct) =>
            WaitAsync(async () =>
            {
                var order = await fanOut._alpaca.GetOrderByClientOrderIdAsync(_env, _token, TradeIds.ClientOrderId(TradeIds.RowKeyFor(Key(step))), ct);
                if (!order.IsSuccess)
                    return null; // not there yet (a retry is queued) or a transient failure
                return order.Value!.Status == "filled" ? true : AlpacaOrderStatuses.IsTerminal(order.Value.Status) ? false : null;
            }, ct);

        /// <summary>Polls until <paramref name="check"/> answers (true/false) or the flatten timeout passes (false).</summary>
        private async Task<bool> WaitAsync(Func<Task<bool?>> check, CancellationToken ct)
        {
            var deadline = fanOut._time.GetUtcNow() + fanOut._options.FlattenTimeout;
            var delay = TimeSpan.FromMilliseconds(100);
            while (true)
            {
                if (await check() is { } answer)
                    return answer;
                if (fanOut._time.GetUtcNow() + delay > deadline)
                    return false;
                await Task.Delay(delay, fanOut._time, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
            }
        }

        private string Key(string step) => IdempotencyKey(hook.Id, signal.Id, subscriber.UserId, subscriber.Env, step);

        private static T Must<T>(AlpacaResult<T> answer, string what) =>
            answer.IsSuccess ? answer.Value! : throw new AlpacaCallFailed(what, answer.Error!);

        private SubscriberOutcome Outcome(string status, string? reason) => new()
        {
            UserId = subscriber.UserId,
            Env = subscriber.Env,
            Status = status,
            TradeIds = [.. _tradeIds],
            CanceledOrderIds = [.. _canceled],
            Reason = reason,
        };

        private SubscriberOutcome Placed(string? reason = null) => Outcome(SubscriberOutcome.Placed, reason);

        private SubscriberOutcome Refused(string reason) => Outcome(SubscriberOutcome.Refused, reason);

        private SubscriberOutcome Refused(string code, string sentence) => Refused(SignalReasons.Format(code, sentence));

        public SubscriberOutcome Failed(string code, string sentence) => Outcome(SubscriberOutcome.Failed, SignalReasons.Format(code, sentence));
    }
}
