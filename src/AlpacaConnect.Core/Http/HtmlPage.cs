using System.Net;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Http;

/// <summary>Readable pages for the endpoints a browser lands on (authorize, callback).</summary>
public static class HtmlPage
{
    public static IResult Error(int status, string title, string message) =>
        Results.Content(Render(title, message), "text/html; charset=utf-8", statusCode: status);

    /// <summary>A page with one link onwards, e.g. back to the app.</summary>
    public static IResult WithLink(int status, string title, string message, Uri link, string linkText) =>
        Results.Content(Render(title, message, link, linkText), "text/html; charset=utf-8", statusCode: status);

    public static string Render(string title, string message, Uri? link = null, string? linkText = null) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{{WebUtility.HtmlEncode(title)}}</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style>
        </head><body><h1>{{WebUtility.HtmlEncode(title)}}</h1><p id="message">{{WebUtility.HtmlEncode(message)}}</p>{{(link is null ? "" : $"<p><a id=\"continue\" href=\"{WebUtility.HtmlEncode(link.AbsoluteUri)}\">{WebUtility.HtmlEncode(linkText ?? link.AbsoluteUri)}</a></p>")}}</body></html>
        """;
}
