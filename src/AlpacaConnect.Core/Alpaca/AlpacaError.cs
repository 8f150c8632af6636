namespace AlpacaConnect.Core.Alpaca;

public enum AlpacaErrorKind
{
    /// <summary>401: bad or revoked token, or a scope the token lacks.</summary>
    Unauthorized,
    /// <summary>403: refused, e.g. insufficient buying power.</summary>
    Forbidden,
    NotFound,
    /// <summary>422 (or 400): Alpaca rejected the input.</summary>
    Invalid,
    RateLimited,
    ServerError,
    Timeout,
    /// <summary>No answer at all: connection refused, DNS, reset.</summary>
    Unreachable,
}

/// <summary>What Alpaca said when it said no: its numeric <c>code</c> and <c>message</c> as sent.</summary>
public sealed record AlpacaError(AlpacaErrorKind Kind, int Status, int? Code, string Message, DateTimeOffset? RateLimitReset = null)
{
    /// <summary>Worth trying again later: the same request may succeed.</summary>
    public bool IsTransient => Kind is AlpacaErrorKind.RateLimited or AlpacaErrorKind.ServerError
        or AlpacaErrorKind.Timeout or AlpacaErrorKind.Unreachable;

    /// <summary>Alpaca's words with the status and code, for a trade's reason, a problem's detail or a log line.</summary>
    public string Describe() => Code is { } code ? $"{Message} (HTTP {Status}, code {code})" : $"{Message} (HTTP {Status})";
}

/// <summary>Either Alpaca's answer or its refusal; transport failures are refusals too, never exceptions.</summary>
public sealed record AlpacaResult<T>(T? Value, AlpacaError? Error)
{
    public bool IsSuccess => Error is null;

    public static AlpacaResult<T> Ok(T value) => new(value, null);

    public static AlpacaResult<T> Fail(AlpacaError error) => new(default, error);
}
