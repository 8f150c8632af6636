using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Http;

/// <summary>A result with a Location header (202 Accepted pointing at the status URL).</summary>
public sealed class LocationResult(IResult inner, string location) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.Headers.Location = location;
        return inner.ExecuteAsync(httpContext);
    }
}

/// <summary>A result with a Retry-After header (seconds).</summary>
public sealed class RetryAfterResult(IResult inner, int seconds) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return inner.ExecuteAsync(httpContext);
    }
}
