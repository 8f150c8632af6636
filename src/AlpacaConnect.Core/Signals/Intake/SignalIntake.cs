using System.Net;
using System.Threading.RateLimiting;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Secrets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Signals;

/// <summary>
/// POST /api/signals/{hookId}/{secret} (or the secret as the body's passphrase): alerts from
/// TradingView and the like, which can only POST a text body and give up after 3 s, resending on
/// a 5xx. The hook and secret are checked (404 for either, so neither is revealed), the body is
/// parsed (4xx listing every problem, nothing recorded), the hook-level rules are applied, and the
/// signal is recorded under its dedupe claim with its events and its fan-out queued: 202. Once a
/// signal is recorded the answer is 202 whatever happens next.
/// </summary>
public sealed partial class SignalIntake : IDisposable
{
    private static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(1);

    private readonly SignalHookStore _hooks;
    private readonly SignalLog _log;
    private readonly SignalFanOutQueue _queue;
    private readonly SignalOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SignalIntake> _logger;

    /// <summary>Failed authentications per source address (in this instance), so a URL cannot be guessed at speed.</summary>
    private readonly PartitionedRateLimiter<string> _failures;

    public SignalIntake(SignalHookStore hooks, SignalLog log, SignalFanOutQueue queue, IOptions<SignalOptions> options, TimeProvider time, ILogger<SignalIntake> logger)
    {
        (_hooks, _log, _queue, _options, _time, _logger) = (hooks, log, queue, options.Value, time, logger);
        var limit = _options.FailuresPerMinute;
        _failures = PartitionedRateLimiter.Create<string, string>(source => RateLimitPartition.GetFixedWindowLimiter(source,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = limit, Window = RateWindow, QueueLimit = 0, AutoReplenishment = true }));
    }

    /// <summary>202 to an alert.</summary>
    public sealed record SignalAccepted(string SignalId, bool Duplicate, string? Status = null, string? Reason = null);

    public async Task<IResult> ReceiveAsync(HttpRequest request, string hookId, string? pathSecret)
    {
        var ct = request.HttpContext.RequestAborted;
        var address = ClientAddress(request);
        var source = address?.ToString() ?? "unknown";
        if (_failures.GetStatistics(source) is { CurrentAvailablePermits: <= 0 })
        {
            LogSourceLimited(source);
            return new RetryAfterResult(Problems.Create(StatusCodes.Status429TooManyRequests, "too-many-failures",
                "Too many failed alerts from this address.", "Wait a minute, then send with the hook's URL and secret."), (int)RateWindow.TotalSeconds);
        }

        var (body, tooLarge) = await ReadBodyAsync(request, _options.MaxBodyBytes, ct);
        if (tooLarge)
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, "body-too-large", "The alert body is too large.",
                $"At most {_options.MaxBodyBytes} bytes; nothing was recorded.");
        if (body.Length == 0)
            return Problems.MalformedBody("The body is empty; an alert is a JSON object such as {\"ticker\":\"AAPL\",\"action\":\"buy\"}.");
        using var doc = AlertParser.TryReadDocument(body, out var syntaxError);
        if (doc is null)
            return Problems.MalformedBody(syntaxError! + " Nothing was recorded.");

        var now = _time.GetUtcNow();
        var hook = await _hooks.FindForAlertAsync(hookId, ct);
        if (hook is null || !_hooks.SecretMatches(hook, pathSecret ?? AlertParser.Passphrase(doc)) || !SourceAllowlist.Allows(hook.SourceList, address))
        {
            _failures.AttemptAcquire(source).Dispose();
            LogRefused(source);
            return NotFound();
        }

        var parsed = AlertParser.Parse(doc, body);
        if (parsed.Alert is not { } alert)
            return Problems.Validation(parsed.Errors, "The alert was not recorded; fix the alert's message and send it again.");

        var rules = hook.Rules;
        var refusal = rules.Paused ? "paused: The hook is paused (kill switch); nothing is placed."
            : rules.MaxSignalAgeSeconds is { } maxAge && alert.Time is { } at && at < now - TimeSpan.FromSeconds(maxAge)
                ? $"stale_signal: The alert's time {at:O} is more than {maxAge} s before it was received."
            : rules.MaxSignalsPerMinute is { } perMinute && await _log.CountAcceptedSinceAsync(hook.RowKey, now - RateWindow, perMinute, ct) >= perMinute
                ? $"rate_limited: The hook already took {perMinute} signals in the last minute."
            : null;

        var (dedupeKey, byId) = alert.Id is { } id ? ("id~" + Hashing.Sha256Hex(id), true) : ("body~" + Hashing.Sha256Hex(parsed.RedactedBody), false);
        var raw = parsed.RedactedBody;
        var truncated = raw.Length > MaxStoredBodyChars;
        var status = refusal is null ? SignalStatus.Queued : SignalStatus.Refused;
        // A queued signal is recorded with its pending marker (SignalRecovery's write-ahead) in the same transaction.
        var recorded = await _log.RecordAsync(
            new SignalLog.NewSignal(hook.RowKey, SignalIds.NewKey(now), now, alert, truncated ? raw[..MaxStoredBodyChars] : raw, truncated, address?.ToString(), dedupeKey, byId, status, refusal),
            _options.DedupeWindow,
            (signalId, receivedAt) => Events(hook.RowKey, signalId, alert, status, refusal, receivedAt),
            ct);

        // Recorded (or found recorded): from here on the answer is 202, never a 5xx that would make the sender resend.
        if (recorded is SignalLog.Duplicate duplicate)
        {
            LogDuplicate(duplicate.SignalId, hook.RowKey);
            return JsonBody.Ok(new SignalAccepted(duplicate.SignalId, true), StatusCodes.Status202Accepted);
        }
        if (refusal is null)
        {
            try
            {
                await _queue.EnqueueAsync(SignalFanOutMessage.For(recorded.SignalId), CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogQueueFailed(recorded.SignalId, ex.GetType().Name, ex.Message);
            }
        }
        LogRecorded(recorded.SignalId, hook.RowKey, alert.Ticker, alert.Action, status);
        return JsonBody.Ok(new SignalAccepted(recorded.SignalId, false, status, refusal), StatusCodes.Status202Accepted);
    }

    /// <summary>A Table string property holds 32K UTF-16 characters; the body is capped below that.</summary>
    private const int MaxStoredBodyChars = 30_000;

    private static IEnumerable<DomainEvent> Events(string hookId, string signalId, SignalAlert alert, string status, string? refusal, DateTimeOffset at)
    {
        yield return DomainEvent.Create(EventTypes.SignalReceived, at,
            new { signal_id = signalId, hook_id = hookId, ticker = alert.Ticker, action = alert.Action, status, received_at = at });
        if (refusal is not null)
            yield return DomainEvent.Create(EventTypes.SignalRefused, at, new { signal_id = signalId, hook_id = hookId, reason = refusal });
    }

    private static IResult NotFound() => Problems.NotFound("No such signal hook, or the secret does not match.");

    private IPAddress? ClientAddress(HttpRequest request)
    {
        if (string.IsNullOrEmpty(_options.ClientAddressHeader))
            return request.HttpContext.Connection.RemoteIpAddress;
        // The proxy appends the address it saw last; anything before it the caller may have written.
        var last = request.Headers[_options.ClientAddressHeader].ToString().Split(',').LastOrDefault()?.Trim();
        if (string.IsNullOrEmpty(last))
            return request.HttpContext.Connection.RemoteIpAddress;
        return IPEndPoint.TryParse(last, out var endpoint) ? endpoint.Address : null;
    }

    /// <summary>The body up to <paramref name="max"/> bytes, whatever its content type (TradingView sends JSON as text/plain).</summary>
    private static async Task<(byte[] Body, bool TooLarge)> ReadBodyAsync(HttpRequest request, int max, CancellationToken ct)
    {
        if (request.ContentLength > max)
            return ([], true);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max)
                return ([], true);
            buffer.Write(chunk, 0, read);
        }
        return (buffer.ToArray(), false);
    }

    public void Dispose() => _failures.Dispose();

    [LoggerMessage(LogLevel.Information, "Signal {SignalId} recorded for hook {HookId}: {Ticker} {Action}, {Status}")]
    private partial void LogRecorded(string signalId, string hookId, string ticker, string action, string status);

    [LoggerMessage(LogLevel.Information, "Alert for hook {HookId} is a duplicate of signal {SignalId}; nothing new queued")]
    private partial void LogDuplicate(string signalId, string hookId);

    [LoggerMessage(LogLevel.Warning, "Alert from {Source} refused: unknown hook, wrong secret or source not allowed")]
    private partial void LogRefused(string source);

    [LoggerMessage(LogLevel.Warning, "Alerts from {Source} refused for the rest of the minute: too many failures")]
    private partial void LogSourceLimited(string source);

    [LoggerMessage(LogLevel.Error, "Signal {SignalId} recorded but its fan-out could not be queued ({ErrorType}: {Error}); the recovery timer queues it again after Signals:RecoverAfter")]
    private partial void LogQueueFailed(string signalId, string errorType, string error);
}
