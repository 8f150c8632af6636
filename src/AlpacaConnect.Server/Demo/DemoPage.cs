using System.Net;
using System.Text.Encodings.Web;
using AlpacaConnect.Core.Http;
using Microsoft.Extensions.Options;

// In the Server's root namespace (not .Demo) so ServerApp needs only `app.MapDemo();`.
namespace AlpacaConnect.Server;

/// <summary>
/// GET /demo: a plain HTML + vanilla JS page that walks the API as a person would: connect a Sandbox
/// account through the real consent flow, list connections, place a trade, watch its status, see
/// webhook deliveries, create a signal hook the connection follows (its alert URL, shown once, a curl
/// that fires it, a test alert and its outcome), and manage the user's schedules and their occurrences. The page, script and styles are C# raw strings (DemoPage.*.cs), so there is no
/// frontend build step. Mapped only in Development or with Demo:Enabled=true.
/// </summary>
public static partial class DemoPage
{
    public const string EnabledSetting = "Demo:Enabled";
    public const string Route = "/demo";
    private const string KeyPlaceholder = "{{FUNCTION_KEY}}";

    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Maps /demo (and its script and styles) when the app runs in Development or Demo:Enabled is true; otherwise nothing.</summary>
    public static void MapDemo(this WebApplication app)
    {
        var enabled = app.Environment.IsDevelopment()
            || string.Equals(app.Configuration[EnabledSetting], "true", StringComparison.OrdinalIgnoreCase);
        if (!enabled)
            return;

        // SECURITY: the page carries the Server's function key (Server:FunctionKey) so its fetch() calls
        // can send x-functions-key. That is acceptable ONLY because this is a local Development page on
        // localhost, shown to the developer who already holds the key (eng/start.sh prints it). Never set
        // Demo:Enabled on a deployed app; as a second guard the page is served to loopback callers only,
        // with no-store caching and a strict CSP.
        app.MapGet(Route, (HttpContext http, IOptions<FunctionKeyOptions> options) =>
                Serve(http, "text/html; charset=utf-8",
                    Html.Replace(KeyPlaceholder, HtmlEncoder.Default.Encode(options.Value.FunctionKey), StringComparison.Ordinal)))
            .ExcludeFromDescription();
        app.MapGet(Route + "/demo.js", (HttpContext http) => Serve(http, "text/javascript; charset=utf-8", Script))
            .ExcludeFromDescription();
        app.MapGet(Route + "/demo.css", (HttpContext http) => Serve(http, "text/css; charset=utf-8", Styles))
            .ExcludeFromDescription();
    }

    private static IResult Serve(HttpContext http, string contentType, string body)
    {
        if (!IsLoopback(http.Connection.RemoteIpAddress))
            return Problems.NotFound("The demo page is served only to callers on this machine (loopback).");

        var headers = http.Response.Headers;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        return Results.Content(body, contentType);
    }

    private static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
