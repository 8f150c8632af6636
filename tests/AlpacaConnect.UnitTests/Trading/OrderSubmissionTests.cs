using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Trading;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace AlpacaConnect.UnitTests.Trading;

/// <summary>
/// The Alpaca half of an execution against a mocked Alpaca client: which calls it makes, in which
/// order, with which client_order_id, and the decision each sequence of answers ends in. The point of
/// it: an order is placed at most once per delivery, and never after Alpaca said it is there.
/// </summary>
public sealed class OrderSubmissionTests
{
    private const string RowKey = "0123456789abcdef0123456789abcdef";
    private const string ClientOrderId = "acf-" + RowKey;
    private static readonly DateTimeOffset Now = new(2025, 6, 2, 14, 30, 0, TimeSpan.Zero);
    private static readonly AccessToken Token = new("tok-1");
    private static readonly AlpacaOrder Order = new() { Id = "ord-1", ClientOrderId = ClientOrderId, Status = "new" };
    private static readonly AlpacaError NotFound = new(AlpacaErrorKind.NotFound, 404, 40410000, "order not found");
    private static readonly AlpacaError NotUnique = new(AlpacaErrorKind.Invalid, 422, 40010001, "client_order_id must be unique");
    private static readonly AlpacaError Unavailable = new(AlpacaErrorKind.ServerError, 503, null, "busy");

    private readonly Mock<IAlpacaOrders> _alpaca = new(MockBehavior.Strict);
    private readonly MockSequence _sequence = new();
    private readonly TradingOptions _options = new() { MaxAttempts = 3, RetryBaseDelay = TimeSpan.FromSeconds(1) };

    private static readonly TradeExecution Message = new()
    {
        TradeId = "amy~" + RowKey,
        Env = "live",
        AcceptedAt = Now - TimeSpan.FromSeconds(2),
        Order = new TradeOrder { Symbol = "AAPL", Side = "buy", Type = "limit", LimitPrice = "1.0", Qty = "1.50", TimeInForce = "day" },
    };

    private Task<ExecutionDecision> RunAsync(bool lookFirst, bool pastDeadline = false, TradeExecution? message = null) =>
        new OrderSubmission(_alpaca.Object, new ExecutionRules(_options, new FakeTimeProvider(Now), () => 0), NullLogger.Instance)
            .RunAsync(message ?? Message, Token, lookFirst, pastDeadline, default);

    private void LookUpAnswers(AlpacaResult<AlpacaOrder> answer) =>
        _alpaca.InSequence(_sequence).Setup(a => a.GetOrderByClientOrderIdAsync(AlpacaEnv.Live, Token, ClientOrderId, It.IsAny<CancellationToken>())).ReturnsAsync(answer);

    private void SendAnswers(AlpacaResult<AlpacaOrder> answer) =>
        _alpaca.InSequence(_sequence).Setup(a => a.CreateOrderAsync(AlpacaEnv.Live, Token, It.IsAny<AlpacaOrderRequest>(), It.IsAny<CancellationToken>())).ReturnsAsync(answer);

    private void Sent(Times times) => _alpaca.Verify(a => a.CreateOrderAsync(It.IsAny<AlpacaEnv>(), It.IsAny<AccessToken>(), It.IsAny<AlpacaOrderRequest>(), It.IsAny<CancellationToken>()), times);

    private void LookedUp(Times times) => _alpaca.Verify(a => a.GetOrderByClientOrderIdAsync(It.IsAny<AlpacaEnv>(), It.IsAny<AccessToken>(), It.IsAny<string>(), It.IsAny<CancellationToken>()), times);

    private static AlpacaResult<AlpacaOrder> Ok(AlpacaOrder order) => AlpacaResult<AlpacaOrder>.Ok(order);
    private static AlpacaResult<AlpacaOrder> No(AlpacaError error) => AlpacaResult<AlpacaOrder>.Fail(error);

    [Fact]
    public async Task A_first_try_sends_once_with_the_trade_derived_client_order_id_and_the_order_as_given()
    {
        AlpacaOrderRequest? sent = null;
        _alpaca.Setup(a => a.CreateOrderAsync(AlpacaEnv.Live, Token, It.IsAny<AlpacaOrderRequest>(), It.IsAny<CancellationToken>()))
            .Callback((AlpacaEnv _, AccessToken _, AlpacaOrderRequest request, CancellationToken _) => sent = request)
            .ReturnsAsync(Ok(Order));

        Assert.Equal(new ExecutionDecision.Record(Order), await RunAsync(lookFirst: false));

        Sent(Times.Once());
        LookedUp(Times.Never());
        Assert.Equal(Message.Order!.ToAlpaca(ClientOrderId), sent);
        Assert.Equal(("1.50", "1.0"), (sent!.Qty, sent.LimitPrice));
    }

    [Fact]
    public async Task A_retry_that_finds_the_order_records_it_and_sends_nothing()
    {
        LookUpAnswers(Ok(Order));

        Assert.Equal(new ExecutionDecision.Record(Order), await RunAsync(lookFirst: true));

        Sent(Times.Never());
        LookedUp(Times.Once());
    }

    [Fact]
    public async Task A_retry_that_finds_nothing_sends_once()
    {
        LookUpAnswers(No(NotFound));
        SendAnswers(Ok(Order));

        Assert.Equal(new ExecutionDecision.Record(Order), await RunAsync(lookFirst: true));

        LookedUp(Times.Once());
        Sent(Times.Once());
    }

    [Fact]
    public async Task Past_the_deadline_with_nothing_at_alpaca_nothing_is_sent_and_the_trade_fails()
    {
        LookUpAnswers(No(NotFound));

        var decision = await RunAsync(lookFirst: true, pastDeadline: true);

        Assert.IsType<ExecutionDecision.Fail>(decision);
        Sent(Times.Never());
    }

    [Fact]
    public async Task Past_the_deadline_an_order_at_alpaca_is_still_recorded()
    {
        LookUpAnswers(Ok(Order));

        Assert.Equal(new ExecutionDecision.Record(Order), await RunAsync(lookFirst: true, pastDeadline: true));
        Sent(Times.Never());
    }

    [Fact]
    public async Task A_lookup_that_fails_transiently_retries_without_sending()
    {
        LookUpAnswers(No(Unavailable));

        Assert.Equal(new ExecutionDecision.Retry(1, TimeSpan.FromSeconds(1), "busy (HTTP 503)"), await RunAsync(lookFirst: true));
        Sent(Times.Never());
    }

    [Fact]
    public async Task A_lookup_refused_with_401_revokes_without_sending()
    {
        LookUpAnswers(No(new AlpacaError(AlpacaErrorKind.Unauthorized, 401, 40110000, "unauthorized")));

        Assert.IsType<ExecutionDecision.Revoke>(await RunAsync(lookFirst: true));
        Sent(Times.Never());
    }

    [Fact]
    public async Task Client_order_id_must_be_unique_is_answered_by_looking_the_order_up_never_by_sending_again()
    {
        SendAnswers(No(NotUnique));
        LookUpAnswers(Ok(Order));

        Assert.Equal(new ExecutionDecision.Record(Order), await RunAsync(lookFirst: false));

        Sent(Times.Once());
        LookedUp(Times.Once());
    }

    [Fact]
    public async Task A_retry_that_finds_nothing_then_meets_not_unique_looks_again_and_records()
    {
        // The order landed between the lookup and the send (another delivery placed it).
        LookUpAnswers(No(NotFound));
        SendAnswers(No(NotUnique));
        LookUpAnswers(Ok(Order));

        Assert.Equal(new ExecutionDecision.Record(Order), await RunAsync(lookFirst: true));

        LookedUp(Times.Exactly(2));
        Sent(Times.Once());
    }

    [Fact]
    public async Task Not_unique_and_then_no_order_found_is_a_refusal_not_a_second_send()
    {
        SendAnswers(No(NotUnique));
        LookUpAnswers(No(NotFound));

        Assert.Equal(new ExecutionDecision.Refuse("order not found (HTTP 404, code 40410000)"), await RunAsync(lookFirst: false));
        Sent(Times.Once());
    }

    [Fact]
    public async Task Not_unique_and_then_a_failing_lookup_retries_and_the_retry_looks_first()
    {
        SendAnswers(No(NotUnique));
        LookUpAnswers(No(Unavailable));

        var retry = Assert.IsType<ExecutionDecision.Retry>(await RunAsync(lookFirst: false));

        Assert.Equal(1, retry.Attempt);
        Assert.True(new ExecutionRules(_options, new FakeTimeProvider(Now)).MustLookFirst(Message with { Attempt = retry.Attempt }, dequeueCount: 1, inline: false));
        Sent(Times.Once());
    }

    [Theory]
    [InlineData(AlpacaErrorKind.Forbidden, 403, typeof(ExecutionDecision.Refuse))]
    [InlineData(AlpacaErrorKind.Invalid, 422, typeof(ExecutionDecision.Refuse))]
    [InlineData(AlpacaErrorKind.Unauthorized, 401, typeof(ExecutionDecision.Revoke))]
    [InlineData(AlpacaErrorKind.RateLimited, 429, typeof(ExecutionDecision.WaitForRateLimit))]
    [InlineData(AlpacaErrorKind.Timeout, 0, typeof(ExecutionDecision.Retry))]
    public async Task A_failed_send_ends_in_its_decision_without_another_call(AlpacaErrorKind kind, int status, Type decision)
    {
        SendAnswers(No(new AlpacaError(kind, status, null, "no")));

        Assert.IsType(decision, await RunAsync(lookFirst: false));

        Sent(Times.Once());
        LookedUp(Times.Never());
    }

    [Fact]
    public async Task The_attempt_of_the_message_counts_toward_giving_up()
    {
        SendAnswers(No(Unavailable));

        var decision = await RunAsync(lookFirst: false, message: Message with { Attempt = _options.MaxAttempts - 1 });

        Assert.Equal(new ExecutionDecision.GiveUp(_options.MaxAttempts, "busy (HTTP 503)"), decision);
    }

    [Fact]
    public async Task A_paper_trade_calls_the_paper_env()
    {
        _alpaca.Setup(a => a.CreateOrderAsync(AlpacaEnv.Paper, Token, It.IsAny<AlpacaOrderRequest>(), It.IsAny<CancellationToken>())).ReturnsAsync(Ok(Order));

        Assert.IsType<ExecutionDecision.Record>(await RunAsync(lookFirst: false, message: Message with { Env = "paper" }));
    }
}
