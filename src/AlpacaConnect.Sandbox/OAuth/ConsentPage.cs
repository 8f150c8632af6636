using System.Text;
using System.Text.Encodings.Web;
using AlpacaConnect.Sandbox.Trading;

namespace AlpacaConnect.Sandbox.OAuth;

/// <summary>The HTML a user sees at app.alpaca.markets. Everything echoed is HTML-encoded.</summary>
internal static class ConsentPage
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}" +
        "button{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}input[type=text]{font-size:1rem;padding:.3rem}" +
        ".note{color:#666;font-size:.9rem}";

    public static IResult Render(AuthorizeRequest request)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authorize app - Alpaca Sandbox</title><style>")
            .Append(Style).Append("</style></head><body><main>")
            .Append("<h1>Authorize application</h1>")
            .Append("<p>The application <strong id=\"client-id\">").Append(E(request.Client.ClientId)).Append("</strong> requests access to your Alpaca account.</p>")
            .Append("<p>Environment: <strong id=\"env\">").Append(E(EnvText(request.Env))).Append("</strong></p>")
            .Append("<p>Requested scopes:</p><ul id=\"scopes\">");
        if (request.Scope.Length == 0)
        {
            html.Append("<li>read-only</li>");
        }

        foreach (var scope in request.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            html.Append("<li>").Append(E(scope)).Append("</li>");
        }

        html.Append("</ul><form method=\"post\" action=\"/oauth/authorize\">");
        Hidden(html, "response_type", "code");
        Hidden(html, "client_id", request.Client.ClientId);
        Hidden(html, "redirect_uri", request.RedirectUri);
        if (request.State is not null)
        {
            Hidden(html, "state", request.State);
        }

        if (request.Scope.Length > 0)
        {
            Hidden(html, "scope", request.Scope);
        }

        if (request.Env is { } env)
        {
            Hidden(html, "env", env == TradingEnv.Paper ? "paper" : "live");
        }

        if (request.CodeChallenge is not null)
        {
            Hidden(html, "code_challenge", request.CodeChallenge);
            Hidden(html, "code_challenge_method", request.CodeChallengeMethod!);
        }

        html.Append("<p><label for=\"username\">Sign in as (simulated Alpaca user): </label>")
            .Append("<input type=\"text\" id=\"username\" name=\"username\" value=\"").Append(E(AuthorizeEndpoints.DefaultUsername)).Append("\" maxlength=\"64\"></p>")
            .Append("<p><button type=\"submit\" id=\"allow\" name=\"decision\" value=\"allow\">Allow</button>")
            .Append("<button type=\"submit\" id=\"deny\" name=\"decision\" value=\"deny\">Deny</button></p>")
            .Append("</form><p class=\"note\">This is the local Alpaca Sandbox; no real account is involved.</p></main></body></html>");
        return Html(200, html.ToString());
    }

    public static IResult Error(int status, string message) =>
        Html(status,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authorization error - Alpaca Sandbox</title><style>" + Style +
            "</style></head><body><main><h1>Authorization error</h1><p id=\"error\">" + E(message) + "</p></main></body></html>");

    private static IResult Html(int status, string html) =>
        Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);

    private static void Hidden(StringBuilder html, string name, string value) =>
        html.Append("<input type=\"hidden\" name=\"").Append(E(name)).Append("\" value=\"").Append(E(value)).Append("\">");

    private static string EnvText(TradingEnv? env) => env switch
    {
        TradingEnv.Paper => "paper",
        TradingEnv.Live => "live",
        _ => "paper and live",
    };

    private static string E(string value) => HtmlEncoder.Default.Encode(value);
}
