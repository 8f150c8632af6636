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

/// <summary>
/// An answer to a browser on a URL that carries a secret: the callback's code and state, the
/// authorize redirect's state. <c>Cache-Control: no-store</c> keeps it out of every cache (and the
/// back/forward cache); <c>Referrer-Policy: no-referrer</c> keeps the browser from sending the URL on
/// to the next page or to anything the page links. Redirects are written here rather than with
/// <c>Results.Redirect</c>, which logs its destination (for authorize: Alpaca's URL with the state).
/// </summary>
public sealed class PrivateBrowserResult : IResult
{
    private readonly Uri? _redirectTo;
    private readonly IResult? _page;

    private PrivateBrowserResult(Uri? redirectTo, IResult? page)
    {
        _redirectTo = redirectTo;
        _page = page;
    }

    public const string CacheControl = "no-store";
    public const string ReferrerPolicy = "no-referrer";

    /// <summary>302 to <paramref name="to"/>.</summary>
    public static PrivateBrowserResult Redirect(Uri to) => new(to, null);

    /// <summary>A page (e.g. <see cref="HtmlPage"/>) with the same headers.</summary>
    public static PrivateBrowserResult Page(IResult page) => new(null, page);

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var headers = httpContext.Response.Headers;
        headers.CacheControl = CacheControl;
        headers["Referrer-Policy"] = ReferrerPolicy;
        if (_redirectTo is null)
            return _page!.ExecuteAsync(httpContext);
        httpContext.Response.StatusCode = StatusCodes.Status302Found;
        headers.Location = _redirectTo.AbsoluteUri;
        return Task.CompletedTask;
    }
}
