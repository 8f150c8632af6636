using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Trading;

namespace AlpacaConnect.UnitTests.Trading;

/// <summary>
/// The trade row as a state machine (TradeEntity: Accepted, Record, Apply, RaiseAccepted, TakeEvents):
/// every move it makes, the events each one raises (trade.* for our side, order.* for Alpaca's), and the
/// moves it refuses. No storage: the entity is built and driven in memory.
/// </summary>
public sealed class TradeStateMachineTests
{
    private const string RowKey = "0123456789abcdef0123456789abcdef";
    private static readonly DateTimeOffset T0 = new(2025, 6, 2, 14, 30, 0, TimeSpan.Zero);
    private static readonly TradeOrder Order = new() { Symbol = "AAPL", Side = "buy", Type = "market", Qty = "10", TimeInForce = "day" };

    private static TradeEntity NewTrade() => TradeEntity.Accepted("amy", RowKey, "paper", Order, T0, bodyHash: "hash-1");

    private static AlpacaOrder View(string status, string? filledQty = "0", string? avgPrice = null, string id = "ord-1") =>
        new() { Id = id, Status = status, FilledQty = filledQty, FilledAvgPrice = avgPrice };

    private static DateTimeOffset At(int seconds) => T0.AddSeconds(seconds);

    private static List<string> Statuses(TradeEntity trade) => trade.History.Select(h => h.Status).ToList();

    private static List<string> EventTypes(TradeEntity trade) => trade.TakeEvents().Select(e => e.Type).ToList();

    /// <summary>A trade Alpaca has as a working order, with the events of getting there taken.</summary>
    private static TradeEntity Submitted()
    {
        var trade = NewTrade();
        trade.Apply(View("new"), At(1));
        trade.TakeEvents();
        return trade;
    }

    [Fact]
    public void An_accepted_trade_is_open_with_one_history_line_and_raises_nothing_until_asked()
    {
        var trade = NewTrade();

        Assert.Equal(TradeStatus.Accepted, trade.Status);
        Assert.True(trade.IsOpen);
        Assert.Equal("acf-" + RowKey, trade.ClientOrderId);
        Assert.Equal("amy~" + RowKey, trade.TradeId);
        Assert.Equal("hash-1", trade.BodyHash);
        Assert.Equal(Order, trade.Order);
        Assert.Equal(T0, trade.CreatedAt);
        Assert.Equal(T0, trade.UpdatedAt);
        var line = Assert.Single(trade.History);
        Assert.Equal(new TradeEvent(TradeStatus.Accepted, T0), line);
        Assert.Null(trade.AlpacaOrderId);
        Assert.Empty(trade.TakeEvents());
    }

    [Fact]
    public void Accepted_is_deterministic_so_the_executor_can_rebuild_the_row_from_its_message()
    {
        var a = NewTrade();
        var b = NewTrade();
        Assert.Equal((a.OrderJson, a.HistoryJson, a.ClientOrderId, a.Status, a.IsOpen), (b.OrderJson, b.HistoryJson, b.ClientOrderId, b.Status, b.IsOpen));
    }

    [Fact]
    public void RaiseAccepted_raises_one_trade_accepted_stamped_with_the_acceptance()
    {
        var trade = NewTrade();
        trade.RaiseAccepted();

        var raised = Assert.Single(trade.TakeEvents());
        Assert.Equal("trade.accepted", raised.Type);
        Assert.Equal(T0, raised.Timestamp);
        Assert.Equal("accepted", raised.Data["status"]!.GetValue<string>());
        Assert.Equal("amy~" + RowKey, raised.Data["trade_id"]!.GetValue<string>());
        Assert.Equal("acf-" + RowKey, raised.Data["client_order_id"]!.GetValue<string>());
    }

    [Fact]
    public void TakeEvents_hands_each_event_over_once()
    {
        var trade = NewTrade();
        trade.Apply(View("new"), At(1));

        Assert.Single(trade.TakeEvents());
        Assert.Empty(trade.TakeEvents());
    }

    [Fact]
    public void Accepted_then_submitted_then_partially_filled_then_filled()
    {
        var trade = NewTrade();

        trade.Apply(View("new"), At(1));
        Assert.Equal(TradeStatus.Submitted, trade.Status);
        Assert.True(trade.IsOpen);
        Assert.Equal("ord-1", trade.AlpacaOrderId);
        Assert.Equal("new", trade.AlpacaStatus);
        Assert.Equal(["trade.submitted"], EventTypes(trade));

        trade.Apply(View("partially_filled", "4", "187.25"), At(2));
        Assert.Equal(TradeStatus.PartiallyFilled, trade.Status);
        Assert.True(trade.IsOpen);
        Assert.Equal(("4", "187.25"), (trade.FilledQty, trade.FilledAvgPrice));
        Assert.Equal(["order.partially_filled"], EventTypes(trade));

        trade.Apply(View("filled", "10", "187.30") with { FilledAt = At(3) }, At(3));
        Assert.Equal(TradeStatus.Filled, trade.Status);
        Assert.False(trade.IsOpen);
        Assert.Equal(At(3), trade.FilledAt);
        Assert.Equal(At(3), trade.UpdatedAt);
        Assert.Null(trade.Reason);
        Assert.Equal(["order.filled"], EventTypes(trade));

        Assert.Equal(["accepted", "submitted", "partially_filled", "filled"], Statuses(trade));
        Assert.Equal("filled 10 @ 187.30", trade.History[^1].Detail);
        Assert.Equal("filled 4 @ 187.25", trade.History[2].Detail);
    }

    [Fact]
    public void An_order_filled_on_first_sight_is_recorded_as_submitted_first()
    {
        var trade = NewTrade();
        trade.Apply(View("filled", "10", "100.00"), At(1));

        Assert.Equal(["accepted", "submitted", "filled"], Statuses(trade));
        Assert.Equal("alpaca order ord-1", trade.History[1].Detail);
        Assert.Equal(["trade.submitted", "order.filled"], EventTypes(trade));
        Assert.False(trade.IsOpen);
    }

    [Theory]
    [InlineData("partially_filled", "3", "partially_filled", "order.partially_filled")]
    [InlineData("canceled", "0", "canceled", "order.canceled")]
    [InlineData("expired", "0", "expired", "order.expired")]
    public void Any_other_status_on_first_sight_is_recorded_as_submitted_first(string alpacaStatus, string filled, string status, string eventType)
    {
        var trade = NewTrade();
        trade.Apply(View(alpacaStatus, filled, "100.00"), At(1));

        Assert.Equal(["accepted", "submitted", status], Statuses(trade));
        Assert.Equal(["trade.submitted", eventType], EventTypes(trade));
    }

    [Fact]
    public void An_order_rejected_on_first_sight_was_never_submitted()
    {
        var trade = NewTrade();
        trade.Apply(View("rejected"), At(1));

        Assert.Equal(["accepted", "rejected"], Statuses(trade));
        Assert.Equal(["trade.rejected"], EventTypes(trade));
        Assert.False(trade.IsOpen);
        Assert.Equal("ord-1", trade.AlpacaOrderId);
    }

    [Fact]
    public void A_replaced_order_ends_the_trade_canceled_with_the_reason()
    {
        var trade = Submitted();
        trade.Apply(View("replaced"), At(2));

        Assert.Equal(TradeStatus.Canceled, trade.Status);
        Assert.Equal("replaced", trade.AlpacaStatus);
        Assert.Equal("replaced at Alpaca", trade.History[^1].Detail);
        Assert.Equal("replaced at Alpaca", trade.Reason);
        Assert.False(trade.IsOpen);
        var canceled = Assert.Single(trade.TakeEvents());
        Assert.Equal("order.canceled", canceled.Type);
        Assert.Equal("replaced at Alpaca", canceled.Data["reason"]!.GetValue<string>());
    }

    [Fact]
    public void The_same_view_seen_again_changes_nothing_and_raises_nothing()
    {
        var trade = Submitted();
        trade.Apply(View("partially_filled", "4", "10.00"), At(2));
        trade.TakeEvents();
        var (history, updated) = (trade.HistoryJson, trade.UpdatedAt);

        trade.Apply(View("partially_filled", "4", "10.00"), At(3));

        Assert.Equal(history, trade.HistoryJson);
        Assert.Equal(updated, trade.UpdatedAt);
        Assert.Empty(trade.TakeEvents());
    }

    [Fact]
    public void A_repeated_identical_record_is_a_no_op()
    {
        var trade = NewTrade();
        trade.Record(TradeStatus.Failed, At(1), "gone");
        trade.TakeEvents();
        var (history, updated) = (trade.HistoryJson, trade.UpdatedAt);

        trade.Record(TradeStatus.Failed, At(2), "gone");

        Assert.Equal(history, trade.HistoryJson);
        Assert.Equal(updated, trade.UpdatedAt);
        Assert.Empty(trade.TakeEvents());
    }

    [Fact]
    public void A_working_order_whose_alpaca_status_moves_without_a_fill_adds_no_line()
    {
        var trade = Submitted();
        trade.Apply(View("accepted"), At(2));
        trade.Apply(View("pending_new"), At(3));

        Assert.Equal(["accepted", "submitted"], Statuses(trade));
        Assert.Equal("pending_new", trade.AlpacaStatus);
        Assert.Empty(trade.TakeEvents());
    }

    [Fact]
    public void Each_new_partial_fill_raises_its_own_event()
    {
        var trade = Submitted();
        trade.Apply(View("partially_filled", "2", "10.00"), At(2));
        trade.Apply(View("partially_filled", "5", "10.10"), At(3));
        trade.Apply(View("partially_filled", "7", "10.20"), At(4));

        var events = trade.TakeEvents();
        Assert.Equal(["order.partially_filled", "order.partially_filled", "order.partially_filled"], events.Select(e => e.Type));
        Assert.Equal(["2", "5", "7"], events.Select(e => e.Data["filled_qty"]!.GetValue<string>()));
        Assert.Equal(["filled 2 @ 10.00", "filled 5 @ 10.10", "filled 7 @ 10.20"], trade.History.Skip(2).Select(h => h.Detail));
    }

    [Fact]
    public void A_note_on_a_partially_filled_trade_is_history_not_a_fill_event()
    {
        var trade = Submitted();
        trade.Apply(View("partially_filled", "4", "10.00"), At(2));
        trade.TakeEvents();

        trade.Record(trade.Status, At(3), "cancel sent to Alpaca");
        // The same fill read back after the cancel: still no new fill.
        trade.Apply(View("pending_cancel", "4", "10.00"), At(4));

        Assert.Empty(trade.TakeEvents());
        Assert.Equal(["accepted", "submitted", "partially_filled", "partially_filled"], Statuses(trade));
        Assert.Equal("cancel sent to Alpaca", trade.History[^1].Detail);
        Assert.Equal("pending_cancel", trade.AlpacaStatus);
    }

    [Fact]
    public void A_note_keeps_the_status_adds_a_line_and_raises_nothing()
    {
        var trade = Submitted();
        trade.Record(trade.Status, At(2), "cancel sent to Alpaca");

        Assert.Equal(TradeStatus.Submitted, trade.Status);
        Assert.Equal(["accepted", "submitted", "submitted"], Statuses(trade));
        Assert.Equal(At(2), trade.UpdatedAt);
        Assert.Null(trade.Reason);
        Assert.Empty(trade.TakeEvents());
    }

    [Theory]
    [InlineData(TradeStatus.Submitted, "trade.submitted")]
    [InlineData(TradeStatus.Rejected, "trade.rejected")]
    [InlineData(TradeStatus.Failed, "trade.failed")]
    [InlineData(TradeStatus.PartiallyFilled, "order.partially_filled")]
    [InlineData(TradeStatus.Filled, "order.filled")]
    [InlineData(TradeStatus.Canceled, "order.canceled")]
    [InlineData(TradeStatus.Expired, "order.expired")]
    public void Each_status_raises_its_event_trade_for_our_side_order_for_alpacas(string status, string eventType)
    {
        // trade.accepted is RaiseAccepted's (above): the row is born accepted.
        var trade = NewTrade();
        trade.Record(status, At(2));

        var raised = Assert.Single(trade.TakeEvents());
        Assert.Equal(eventType, raised.Type);
        Assert.Equal(At(2), raised.Timestamp);
        Assert.Equal(status, raised.Data["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(TradeStatus.Rejected, true)]
    [InlineData(TradeStatus.Failed, true)]
    [InlineData(TradeStatus.Canceled, true)]
    [InlineData(TradeStatus.Expired, true)]
    [InlineData(TradeStatus.Filled, false)]
    [InlineData(TradeStatus.Submitted, false)]
    [InlineData(TradeStatus.PartiallyFilled, false)]
    public void The_detail_of_an_unhappy_end_becomes_the_reason(string status, bool isReason)
    {
        var trade = NewTrade();
        trade.Record(status, At(1), "why it ended");

        Assert.Equal(isReason ? "why it ended" : null, trade.Reason);
        Assert.Equal("why it ended", trade.History[^1].Detail);
        if (isReason)
            Assert.Equal("why it ended", Assert.Single(trade.TakeEvents()).Data["reason"]!.GetValue<string>());
    }

    [Fact]
    public void An_end_without_detail_keeps_the_reason_empty()
    {
        var trade = Submitted();
        trade.Apply(View("canceled"), At(2));
        Assert.Equal(TradeStatus.Canceled, trade.Status);
        Assert.Null(trade.Reason);
    }

    [Theory]
    [InlineData(TradeStatus.Accepted, true)]
    [InlineData(TradeStatus.Submitted, true)]
    [InlineData(TradeStatus.PartiallyFilled, true)]
    [InlineData(TradeStatus.Filled, false)]
    [InlineData(TradeStatus.Canceled, false)]
    [InlineData(TradeStatus.Expired, false)]
    [InlineData(TradeStatus.Rejected, false)]
    [InlineData(TradeStatus.Failed, false)]
    public void IsOpen_follows_the_status_on_the_row_and_in_TradeStatus(string status, bool open)
    {
        Assert.Equal(open, TradeStatus.IsOpen(status));
        var trade = NewTrade();
        if (status != TradeStatus.Accepted)
            trade.Record(status, At(2));
        Assert.Equal(status, trade.Status);
        Assert.Equal(open, trade.IsOpen);
    }

    [Theory]
    [InlineData("partially_filled", "6")]
    [InlineData("canceled", "6")]
    [InlineData("expired", "6")]
    [InlineData("filled", "10")]
    public void A_partially_filled_order_moves_on_to_any_end(string alpacaStatus, string filled)
    {
        var trade = Submitted();
        trade.Apply(View("partially_filled", "4", "10.00"), At(2));
        trade.TakeEvents();

        trade.Apply(View(alpacaStatus, filled, "10.00"), At(3));

        Assert.Equal(TradeStatus.FromAlpaca(View(alpacaStatus, filled)), trade.Status);
        Assert.Equal(filled, trade.FilledQty);
        Assert.Single(trade.TakeEvents());
    }

    // --- Moves the machine refuses: Alpaca's view only moves a trade forward. ---

    [Theory]
    [InlineData("filled", "10", "new", "0")]          // a stale read of the order from before it filled
    [InlineData("filled", "10", "partially_filled", "4")]
    [InlineData("filled", "10", "canceled", "10")]    // filled -> canceled: Alpaca cannot cancel a filled order
    [InlineData("canceled", "0", "new", "0")]
    [InlineData("canceled", "0", "filled", "10")]
    [InlineData("expired", "0", "accepted", "0")]
    [InlineData("rejected", "0", "new", "0")]
    [InlineData("replaced", "0", "new", "0")]
    public void A_trade_alpaca_ended_does_not_move_again_when_an_older_or_contradicting_view_arrives(string endStatus, string endFilled, string lateStatus, string lateFilled)
    {
        var trade = Submitted();
        trade.Apply(View(endStatus, endFilled, "10.00"), At(2));
        trade.TakeEvents();
        var (status, history, filled, alpacaStatus) = (trade.Status, trade.HistoryJson, trade.FilledQty, trade.AlpacaStatus);

        trade.Apply(View(lateStatus, lateFilled, "10.00"), At(3));

        Assert.Equal(status, trade.Status);
        Assert.False(trade.IsOpen);
        Assert.Equal(history, trade.HistoryJson);
        Assert.Equal((filled, alpacaStatus), (trade.FilledQty, trade.AlpacaStatus));
        Assert.Empty(trade.TakeEvents());
    }

    [Theory]
    [InlineData("new", "0")]              // working again, nothing filled: older than the fill
    [InlineData("partially_filled", "2")] // fewer shares filled than the row already holds
    public void A_partially_filled_trade_does_not_go_back_when_a_stale_view_arrives(string lateStatus, string lateFilled)
    {
        var trade = Submitted();
        trade.Apply(View("partially_filled", "4", "10.00"), At(2));
        trade.TakeEvents();
        var history = trade.HistoryJson;

        trade.Apply(View(lateStatus, lateFilled, "10.00"), At(3));

        Assert.Equal(TradeStatus.PartiallyFilled, trade.Status);
        Assert.Equal("4", trade.FilledQty);
        Assert.Equal(history, trade.HistoryJson);
        Assert.Empty(trade.TakeEvents());
    }

    [Theory]
    [InlineData(TradeStatus.Failed)]
    [InlineData(TradeStatus.Rejected)]
    [InlineData(TradeStatus.Submitted)]
    [InlineData(TradeStatus.Accepted)]
    public void A_trade_alpaca_filled_is_not_ended_or_reopened_by_us(string status)
    {
        var trade = Submitted();
        trade.Apply(View("filled", "10", "10.00"), At(2));
        trade.TakeEvents();

        trade.Record(status, At(3), "a late step of ours");

        Assert.Equal(TradeStatus.Filled, trade.Status);
        Assert.False(trade.IsOpen);
        Assert.Null(trade.Reason);
        Assert.Empty(trade.TakeEvents());
    }

    [Fact]
    public void A_trade_alpaca_ended_still_takes_a_note()
    {
        var trade = Submitted();
        trade.Apply(View("canceled"), At(2));
        trade.TakeEvents();

        trade.Record(trade.Status, At(3), "The connection ended");

        Assert.Equal(TradeStatus.Canceled, trade.Status);
        Assert.Equal("The connection ended", trade.History[^1].Detail);
        Assert.Empty(trade.TakeEvents());
    }

    [Fact]
    public void A_trade_we_ended_without_an_order_takes_the_order_when_alpaca_shows_one()
    {
        // E.g. failed after a timeout whose order did land: Alpaca's truth wins over our guess.
        var trade = NewTrade();
        trade.Record(TradeStatus.Failed, At(1), "Execution failed repeatedly");
        trade.TakeEvents();

        trade.Apply(View("new"), At(2));

        Assert.Equal(TradeStatus.Submitted, trade.Status);
        Assert.True(trade.IsOpen);
        Assert.Equal("ord-1", trade.AlpacaOrderId);
        Assert.Equal(["trade.submitted"], EventTypes(trade));
    }

    [Fact]
    public void ToTrade_shows_the_row_as_the_api_answers_it()
    {
        var trade = NewTrade();
        trade.Apply(View("partially_filled", "4", "10.00") with { FilledAt = At(2) }, At(2));
        trade.CancelRequested = true;

        var shown = trade.ToTrade();

        Assert.Equal(("amy~" + RowKey, "amy", "paper", TradeStatus.PartiallyFilled), (shown.Id, shown.UserId, shown.Env, shown.Status));
        Assert.Equal(("ord-1", "partially_filled", "4", "10.00", At(2)), (shown.AlpacaOrderId, shown.AlpacaStatus, shown.FilledQty, shown.FilledAvgPrice, shown.FilledAt));
        Assert.True(shown.CancelRequested);
        Assert.Equal(Order, shown.Order);
        Assert.Equal(trade.History, shown.History);
        Assert.Equal((T0, At(2)), (shown.CreatedAt, shown.UpdatedAt));
    }
}
