using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Trading;
using Microsoft.Extensions.Time.Testing;

namespace AlpacaConnect.UnitTests.Trading;

/// <summary>
/// The executor's decision table without storage: when a delivery must look before it sends, and
/// what each of Alpaca's answers leads to (record, send, look up, refuse, revoke, fail, retry, wait,
/// give up).
/// </summary>
public sealed class ExecutionRulesTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 2, 14, 30, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly TradingOptions _options = new()
    {
        MaxAttempts = 4,
        RetryBaseDelay = TimeSpan.FromSeconds(2),
        MaxRetryDelay = TimeSpan.FromSeconds(10),
        MaxRateLimitWait = TimeSpan.FromSeconds(30),
        SubmitDeadline = TimeSpan.FromMinutes(10),
        StaleAcceptedAfter = TimeSpan.FromMinutes(1),
    };
    private double _jitter;

    private ExecutionRules Rules() => new(_options, _time, () => _jitter);

    private static readonly AlpacaOrder Order = new() { Id = "ord-1", Status = "new" };
    private static AlpacaResult<AlpacaOrder> Found => AlpacaResult<AlpacaOrder>.Ok(Order);
    private static AlpacaResult<AlpacaOrder> Failing(AlpacaError error) => AlpacaResult<AlpacaOrder>.Fail(error);
    private static readonly AlpacaError NotFound = new(AlpacaErrorKind.NotFound, 404, 40410000, "order not found");
    private static readonly AlpacaError NotUnique = new(AlpacaErrorKind.Invalid, 422, 40010001, "client_order_id must be unique");

    private static TradeExecution Message(TimeSpan age, int attempt = 0, bool inline = false) => new()
    {
        TradeId = "amy~0123456789abcdef0123456789abcdef",
        Env = "paper",
        AcceptedAt = Now - age,
        Attempt = attempt,
        Inline = inline,
    };

    public static TheoryData<AlpacaErrorKind, int> Errors => new()
    {
        { AlpacaErrorKind.Unauthorized, 401 },
        { AlpacaErrorKind.Forbidden, 403 },
        { AlpacaErrorKind.NotFound, 404 },
        { AlpacaErrorKind.Invalid, 422 },
        { AlpacaErrorKind.RateLimited, 429 },
        { AlpacaErrorKind.ServerError, 503 },
        { AlpacaErrorKind.Timeout, 0 },
        { AlpacaErrorKind.Unreachable, 0 },
    };

    // --- Look before sending? ---

    [Fact]
    public void A_fresh_first_delivery_sends_without_looking()
    {
        Assert.False(Rules().MustLookFirst(Message(TimeSpan.FromSeconds(1)), dequeueCount: 1, inline: false));
        Assert.False(Rules().MustLookFirst(Message(TimeSpan.FromSeconds(1), inline: true), dequeueCount: 1, inline: true));
    }

    [Theory]
    [InlineData(1, 1, false, false)] // a retry: an earlier try may have placed it
    [InlineData(0, 2, false, false)] // a redelivery: the first delivery may have placed it
    [InlineData(0, 1, true, false)]  // an inline message that the queue now delivers: the inline run may have placed it
    public void A_delivery_that_may_follow_a_send_looks_first(int attempt, long dequeueCount, bool messageInline, bool runInline) =>
        Assert.True(Rules().MustLookFirst(Message(TimeSpan.FromSeconds(1), attempt, messageInline), dequeueCount, runInline));

    [Fact]
    public void A_message_as_old_as_the_stale_threshold_looks_first_it_may_have_been_superseded()
    {
        Assert.False(Rules().MustLookFirst(Message(_options.StaleAcceptedAfter - TimeSpan.FromMilliseconds(1)), 1, false));
        Assert.True(Rules().MustLookFirst(Message(_options.StaleAcceptedAfter), 1, false));
    }

    [Fact]
    public void A_message_past_the_submit_deadline_looks_first_even_with_a_stale_threshold_above_it()
    {
        _options.StaleAcceptedAfter = TimeSpan.FromHours(1);
        var late = Message(_options.SubmitDeadline + TimeSpan.FromSeconds(1));
        Assert.True(Rules().IsPastDeadline(late));
        Assert.True(Rules().MustLookFirst(late, 1, false));
    }

    [Fact]
    public void The_deadline_is_passed_only_after_it()
    {
        Assert.False(Rules().IsPastDeadline(Message(_options.SubmitDeadline)));
        Assert.True(Rules().IsPastDeadline(Message(_options.SubmitDeadline + TimeSpan.FromTicks(1))));
    }

    // --- The lookup before sending ---

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_order_found_by_its_client_order_id_is_recorded_even_past_the_deadline(bool pastDeadline) =>
        Assert.Equal(new ExecutionDecision.Record(Order), Rules().AfterLookUp(Found, pastDeadline, attempt: 0));

    [Fact]
    public void No_order_at_alpaca_before_the_deadline_is_sent() =>
        Assert.IsType<ExecutionDecision.Send>(Rules().AfterLookUp(Failing(NotFound), pastDeadline: false, attempt: 1));

    [Fact]
    public void No_order_at_alpaca_past_the_deadline_fails_and_is_never_sent()
    {
        var fail = Assert.IsType<ExecutionDecision.Fail>(Rules().AfterLookUp(Failing(NotFound), pastDeadline: true, attempt: 1));
        Assert.Equal("Not submitted within 10 minutes of acceptance; no order exists at Alpaca and a stale order is never sent.", fail.Reason);
    }

    /// <summary>404 is "no such order" to a lookup (the two facts above); every other error as in <see cref="Errors"/>.</summary>
    public static TheoryData<AlpacaErrorKind, int> ErrorsButNotFound => new()
    {
        { AlpacaErrorKind.Unauthorized, 401 },
        { AlpacaErrorKind.Forbidden, 403 },
        { AlpacaErrorKind.Invalid, 422 },
        { AlpacaErrorKind.RateLimited, 429 },
        { AlpacaErrorKind.ServerError, 503 },
        { AlpacaErrorKind.Timeout, 0 },
        { AlpacaErrorKind.Unreachable, 0 },
    };

    [Theory]
    [MemberData(nameof(ErrorsButNotFound))]
    public void Any_other_answer_to_the_lookup_is_decided_as_an_error(AlpacaErrorKind kind, int status)
    {
        var error = new AlpacaError(kind, status, null, "no");
        Assert.Equal(Rules().AfterError(error, attempt: 1), Rules().AfterLookUp(Failing(error), pastDeadline: false, attempt: 1), SameDecision);
    }

    // --- The send ---

    [Fact]
    public void A_placed_order_is_recorded() =>
        Assert.Equal(new ExecutionDecision.Record(Order), Rules().AfterSend(Found, attempt: 0));

    [Theory]
    [InlineData("client_order_id must be unique")]
    [InlineData("CLIENT_ORDER_ID MUST BE UNIQUE")]
    public void Client_order_id_must_be_unique_means_the_order_is_there_look_it_up(string message) =>
        Assert.IsType<ExecutionDecision.LookUp>(Rules().AfterSend(Failing(NotUnique with { Message = message }), attempt: 0));

    [Fact]
    public void Another_422_is_a_refusal_not_a_lookup()
    {
        var refused = Assert.IsType<ExecutionDecision.Refuse>(Rules().AfterSend(Failing(new AlpacaError(AlpacaErrorKind.Invalid, 422, 40010001, "qty must be > 0")), attempt: 0));
        Assert.Equal("qty must be > 0 (HTTP 422, code 40010001)", refused.Reason);
    }

    [Fact]
    public void The_same_message_on_a_5xx_is_no_lookup_only_a_422_says_the_order_exists() =>
        Assert.IsType<ExecutionDecision.Retry>(Rules().AfterSend(Failing(new AlpacaError(AlpacaErrorKind.ServerError, 500, null, "client_order_id must be unique")), attempt: 0));

    [Theory]
    [MemberData(nameof(Errors))]
    public void Any_other_failed_send_is_decided_as_an_error(AlpacaErrorKind kind, int status)
    {
        var error = new AlpacaError(kind, status, null, "no");
        Assert.Equal(Rules().AfterError(error, attempt: 2), Rules().AfterSend(Failing(error), attempt: 2), SameDecision);
    }

    // --- The lookup after "client_order_id must be unique" ---

    [Fact]
    public void The_order_found_after_not_unique_is_recorded() =>
        Assert.Equal(new ExecutionDecision.Record(Order), Rules().AfterDuplicateLookUp(Found, attempt: 0));

    [Fact]
    public void No_order_found_after_not_unique_is_alpacas_refusal_never_a_second_send()
    {
        var decision = Rules().AfterDuplicateLookUp(Failing(NotFound), attempt: 0);
        Assert.IsNotType<ExecutionDecision.Send>(decision);
        Assert.Equal(new ExecutionDecision.Refuse("order not found (HTTP 404, code 40410000)"), decision);
    }

    [Fact]
    public void A_transient_failure_of_the_lookup_after_not_unique_retries() =>
        Assert.Equal(new ExecutionDecision.Retry(1, TimeSpan.FromSeconds(2), "busy (HTTP 503)"),
            Rules().AfterDuplicateLookUp(Failing(new AlpacaError(AlpacaErrorKind.ServerError, 503, null, "busy")), attempt: 0));

    // --- Alpaca said no ---

    [Fact]
    public void A_401_revokes_the_connection_and_fails_the_trade() =>
        Assert.Equal(new ExecutionDecision.Revoke("Alpaca refused the user's token (request is not authorized (HTTP 401, code 40110000)); the connection is marked revoked."),
            Rules().AfterError(new AlpacaError(AlpacaErrorKind.Unauthorized, 401, 40110000, "request is not authorized"), attempt: 0));

    [Theory]
    [InlineData(AlpacaErrorKind.Forbidden, 403, 40310000, "insufficient buying power", "insufficient buying power (HTTP 403, code 40310000)")]
    [InlineData(AlpacaErrorKind.Forbidden, 403, null, "forbidden.", "forbidden. (HTTP 403)")]
    [InlineData(AlpacaErrorKind.Invalid, 422, 40010001, "invalid symbol", "invalid symbol (HTTP 422, code 40010001)")]
    [InlineData(AlpacaErrorKind.NotFound, 404, null, "asset not found", "asset not found (HTTP 404)")]
    public void A_refusal_rejects_the_trade_with_alpacas_message_status_and_code(AlpacaErrorKind kind, int status, int? code, string message, string reason)
    {
        // The same at any attempt: a refusal is never retried.
        Assert.Equal(new ExecutionDecision.Refuse(reason), Rules().AfterError(new AlpacaError(kind, status, code, message), attempt: 0));
        Assert.Equal(new ExecutionDecision.Refuse(reason), Rules().AfterError(new AlpacaError(kind, status, code, message), attempt: _options.MaxAttempts - 1));
    }

    [Fact]
    public void A_rate_limit_waits_for_alpacas_reset_and_keeps_the_attempt()
    {
        var error = new AlpacaError(AlpacaErrorKind.RateLimited, 429, null, "rate limit exceeded", RateLimitReset: Now + TimeSpan.FromSeconds(7));
        Assert.Equal(new ExecutionDecision.WaitForRateLimit(TimeSpan.FromSeconds(7)), Rules().AfterError(error, attempt: 3));
    }

    [Fact]
    public void A_rate_limit_at_any_attempt_is_a_wait_never_a_give_up() =>
        Assert.IsType<ExecutionDecision.WaitForRateLimit>(Rules().AfterError(new AlpacaError(AlpacaErrorKind.RateLimited, 429, null, "slow down"), attempt: _options.MaxAttempts + 5));

    [Theory]
    [InlineData(null, 5_000)]       // no reset header: 5 s
    [InlineData(-10.0, 100)]        // a reset already past: the shortest wait
    [InlineData(0.05, 100)]
    [InlineData(600.0, 30_000)]     // far away: capped at MaxRateLimitWait
    public void The_rate_limit_wait_is_the_reset_clamped(double? resetInSeconds, int expectedMs)
    {
        var reset = resetInSeconds is { } s ? Now + TimeSpan.FromSeconds(s) : (DateTimeOffset?)null;
        var wait = Rules().AfterError(new AlpacaError(AlpacaErrorKind.RateLimited, 429, null, "slow down", reset), attempt: 0);
        Assert.Equal(new ExecutionDecision.WaitForRateLimit(TimeSpan.FromMilliseconds(expectedMs)), wait);
    }

    [Fact]
    public void The_rate_limit_wait_gets_up_to_half_a_second_of_jitter()
    {
        _jitter = 0.5;
        var error = new AlpacaError(AlpacaErrorKind.RateLimited, 429, null, "slow down", Now + TimeSpan.FromSeconds(7));
        Assert.Equal(new ExecutionDecision.WaitForRateLimit(TimeSpan.FromMilliseconds(7_250)), Rules().AfterError(error, attempt: 0));
    }

    [Theory]
    [InlineData(AlpacaErrorKind.ServerError, 500)]
    [InlineData(AlpacaErrorKind.ServerError, 503)]
    [InlineData(AlpacaErrorKind.Timeout, 0)]
    [InlineData(AlpacaErrorKind.Timeout, 504)]
    [InlineData(AlpacaErrorKind.Unreachable, 0)]
    public void A_transient_failure_retries_as_the_next_attempt(AlpacaErrorKind kind, int status)
    {
        var retry = Assert.IsType<ExecutionDecision.Retry>(Rules().AfterError(new AlpacaError(kind, status, null, "down"), attempt: 0));
        Assert.Equal(1, retry.Attempt);
        Assert.Equal(TimeSpan.FromSeconds(2), retry.Delay);
        Assert.Equal($"down (HTTP {status})", retry.Error);
    }

    [Theory]
    [InlineData(0, 1, 2_000)]
    [InlineData(1, 2, 4_000)]
    [InlineData(2, 3, 8_000)]
    public void Retries_back_off_exponentially(int attempt, int next, int delayMs) =>
        Assert.Equal(new ExecutionDecision.Retry(next, TimeSpan.FromMilliseconds(delayMs), "down (HTTP 503)"),
            Rules().AfterError(new AlpacaError(AlpacaErrorKind.ServerError, 503, null, "down"), attempt));

    [Fact]
    public void The_backoff_is_capped_at_MaxRetryDelay()
    {
        _options.MaxAttempts = 50;
        var retry = Assert.IsType<ExecutionDecision.Retry>(Rules().AfterError(new AlpacaError(AlpacaErrorKind.Timeout, 0, null, "slow"), attempt: 20));
        Assert.Equal(_options.MaxRetryDelay, retry.Delay);
    }

    [Theory]
    [InlineData(0.0, 4_000)]
    [InlineData(0.5, 5_000)]
    [InlineData(0.999, 5_998)]
    public void The_retry_delay_gets_up_to_half_the_backoff_as_jitter(double jitter, int delayMs)
    {
        _jitter = jitter;
        var retry = Assert.IsType<ExecutionDecision.Retry>(Rules().AfterError(new AlpacaError(AlpacaErrorKind.ServerError, 503, null, "down"), attempt: 1));
        Assert.Equal(delayMs, (int)retry.Delay.TotalMilliseconds);
    }

    [Theory]
    [InlineData(AlpacaErrorKind.ServerError)]
    [InlineData(AlpacaErrorKind.Timeout)]
    [InlineData(AlpacaErrorKind.Unreachable)]
    public void The_transient_failure_that_reaches_MaxAttempts_gives_up_for_the_sync_to_settle(AlpacaErrorKind kind) =>
        Assert.Equal(new ExecutionDecision.GiveUp(4, "down (HTTP 0)"),
            Rules().AfterError(new AlpacaError(kind, 0, null, "down"), attempt: _options.MaxAttempts - 1));

    [Fact]
    public void With_one_attempt_allowed_the_first_transient_failure_gives_up()
    {
        _options.MaxAttempts = 1;
        Assert.IsType<ExecutionDecision.GiveUp>(Rules().AfterError(new AlpacaError(AlpacaErrorKind.ServerError, 500, null, "down"), attempt: 0));
    }

    [Fact]
    public void Every_error_kind_has_its_decision()
    {
        var decided = Enum.GetValues<AlpacaErrorKind>().ToDictionary(k => k, k => Rules().AfterError(new AlpacaError(k, 0, null, "x"), attempt: 0).GetType());
        Assert.Equal(new Dictionary<AlpacaErrorKind, Type>
        {
            [AlpacaErrorKind.Unauthorized] = typeof(ExecutionDecision.Revoke),
            [AlpacaErrorKind.Forbidden] = typeof(ExecutionDecision.Refuse),
            [AlpacaErrorKind.NotFound] = typeof(ExecutionDecision.Refuse),
            [AlpacaErrorKind.Invalid] = typeof(ExecutionDecision.Refuse),
            [AlpacaErrorKind.RateLimited] = typeof(ExecutionDecision.WaitForRateLimit),
            [AlpacaErrorKind.ServerError] = typeof(ExecutionDecision.Retry),
            [AlpacaErrorKind.Timeout] = typeof(ExecutionDecision.Retry),
            [AlpacaErrorKind.Unreachable] = typeof(ExecutionDecision.Retry),
        }, decided);
    }

    /// <summary>Records compare by value (Retry delays included, with the jitter fixed).</summary>
    private static readonly IEqualityComparer<ExecutionDecision> SameDecision = EqualityComparer<ExecutionDecision>.Default;
}
