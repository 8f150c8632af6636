using AlpacaConnect.Core.Http;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Alpaca;

/// <summary>How a refusal by Alpaca of a call made for an API caller is answered: a problem the caller can act on.</summary>
public static class AlpacaRefusals
{
    /// <param name="what">The call, as the title names it ("cancel", "account read").</param>
    /// <param name="now">For the Retry-After of a rate limit.</param>
    public static IResult Problem(AlpacaError error, string what, DateTimeOffset now)
    {
        var detail = error.Describe();
        switch (error.Kind)
        {
            case AlpacaErrorKind.Unauthorized:
                return Problems.Create(StatusCodes.Status409Conflict, "connection-revoked", "Alpaca refused the user's token; the connection is now marked revoked.", detail);
            case AlpacaErrorKind.RateLimited:
                var retry = error.RateLimitReset is { } reset ? Math.Max(1, (int)Math.Ceiling((reset - now).TotalSeconds)) : 5;
                return new RetryAfterResult(Problems.Create(StatusCodes.Status429TooManyRequests, "alpaca-rate-limited", "Alpaca's rate limit for this account is exhausted.", detail), retry);
            case AlpacaErrorKind.ServerError or AlpacaErrorKind.Timeout or AlpacaErrorKind.Unreachable:
                return Problems.Create(StatusCodes.Status502BadGateway, "alpaca-unavailable", $"Alpaca did not complete the {what}.", detail);
            default:
                return Problems.Create(StatusCodes.Status409Conflict, "alpaca-refused", $"Alpaca refused the {what}.", detail);
        }
    }
}
