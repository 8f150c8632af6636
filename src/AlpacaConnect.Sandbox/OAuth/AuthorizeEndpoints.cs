using AlpacaConnect.Sandbox.Trading;
using Microsoft.Extensions.Primitives;

namespace AlpacaConnect.Sandbox.OAuth;

/// <summary>
/// app.alpaca.markets/oauth/authorize: the consent page (GET) and the user's decision (POST).
/// Errors about the client or redirect_uri are shown to the user and never redirected,
/// so an attacker cannot bounce users through the Sandbox to an unregistered URI.
/// </summary>
internal static class AuthorizeEndpoints
{
    public const string DefaultUsername = "sandbox-user";
    private static readonly string[] AllowedScopes = ["account:write", "trading", "data"];

    public static void MapAuthorize(this IEndpointRouteBuilder app)
    {
        app.MapGet("/oauth/authorize", (HttpContext http, OAuthStore store) =>
        {
            var check = Validate(name => http.Request.Query.TryGetValue(name, out var v) ? v : StringValues.Empty, store);
            return check.Failure ?? ConsentPage.Render(check.Request!);
        });

        app.MapPost("/oauth/authorize", async (HttpContext http, OAuthStore store) =>
        {
            if (!http.Request.HasFormContentType)
            {
                return ConsentPage.Error(400, "The consent form must be posted as application/x-www-form-urlencoded.");
            }

            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            var check = Validate(name => form.TryGetValue(name, out var v) ? v : StringValues.Empty, store);
            if (check.Failure is not null)
            {
                return check.Failure;
            }

            var request = check.Request!;
            var decision = form["decision"].ToString();
            if (decision == "deny")
            {
                return Redirect(request, ("error", "access_denied"), ("error_description", "The user denied the request."));
            }

            if (decision != "allow")
            {
                return ConsentPage.Error(400, "decision must be allow or deny.");
            }

            var username = form["username"].ToString().Trim();
            if (username.Length == 0)
            {
                username = DefaultUsername;
            }

            if (username.Length > 64)
            {
                return ConsentPage.Error(400, "username must be at most 64 characters.");
            }

            var code = store.IssueCode(request.Client.ClientId, request.RedirectUri, request.Scope, request.Env, username,
                request.CodeChallenge, request.CodeChallengeMethod);
            return Redirect(request, ("code", code.Code));
        });
    }

    /// <summary>Appends OAuth response parameters (and state, if any) to the registered redirect URI.</summary>
    public static IResult Redirect(AuthorizeRequest request, params (string Name, string Value)[] parameters)
    {
        var all = parameters.ToList();
        if (!string.IsNullOrEmpty(request.State))
        {
            all.Add(("state", request.State));
        }

        var query = string.Join('&', all.Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value)}"));
        var separator = request.RedirectUri.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return Results.Redirect(request.RedirectUri + separator + query);
    }

    private static AuthorizeCheck Validate(Func<string, StringValues> read, OAuthStore store)
    {
        string? Single(string name)
        {
            var values = read(name);
            return values.Count == 1 ? values[0] : null;
        }

        var clientId = Single("client_id");
        var client = store.FindClient(clientId);
        if (client is null)
        {
            return new(null, ConsentPage.Error(400, clientId is null
                ? "client_id is missing."
                : $"Unknown client_id \"{clientId}\": no app with this client id is registered."));
        }

        var redirectUri = Single("redirect_uri");
        if (!client.IsRegistered(redirectUri))
        {
            return new(null, ConsentPage.Error(400, redirectUri is null
                ? "redirect_uri is missing."
                : $"redirect_uri \"{redirectUri}\" is not registered for client_id \"{client.ClientId}\"."));
        }

        // From here on errors go back to the app, as OAuth 2 (RFC 6749 section 4.1.2.1) requires.
        var stateValues = read("state");
        var partial = new AuthorizeRequest(client, redirectUri!, stateValues.Count > 0 ? stateValues[0] : null, "", null);
        foreach (var name in new[] { "response_type", "client_id", "redirect_uri", "state", "scope", "env", "code_challenge", "code_challenge_method" })
        {
            if (read(name).Count > 1)
            {
                return new(null, Redirect(partial, ("error", "invalid_request"), ("error_description", $"{name} is repeated.")));
            }
        }

        var responseType = Single("response_type");
        if (string.IsNullOrEmpty(responseType))
        {
            return new(null, Redirect(partial, ("error", "invalid_request"), ("error_description", "response_type is required.")));
        }

        if (responseType != "code")
        {
            return new(null, Redirect(partial, ("error", "unsupported_response_type"), ("error_description", "response_type must be code.")));
        }

        var scopes = (Single("scope") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var unknown = scopes.FirstOrDefault(s => !AllowedScopes.Contains(s, StringComparer.Ordinal));
        if (unknown is not null)
        {
            return new(null, Redirect(partial, ("error", "invalid_scope"), ("error_description", $"Unknown scope: {unknown}.")));
        }

        TradingEnv? env;
        switch (Single("env"))
        {
            case null or "":
                env = null;
                break;
            case "paper":
                env = TradingEnv.Paper;
                break;
            case "live":
                env = TradingEnv.Live;
                break;
            default:
                return new(null, Redirect(partial, ("error", "invalid_request"), ("error_description", "env must be paper or live.")));
        }

        // PKCE (RFC 7636 section 4.3): the method defaults to plain; S256 and plain are the methods there are.
        var challenge = Single("code_challenge");
        var method = Single("code_challenge_method");
        if (challenge is null && method is not null)
        {
            return new(null, Redirect(partial, ("error", "invalid_request"), ("error_description", "code_challenge_method without code_challenge.")));
        }

        if (challenge is not null)
        {
            method ??= Pkce.Plain;
            if (method is not (Pkce.S256 or Pkce.Plain))
            {
                return new(null, Redirect(partial, ("error", "invalid_request"), ("error_description", "code_challenge_method must be S256 or plain.")));
            }

            if (!Pkce.IsWellFormed(challenge))
            {
                return new(null, Redirect(partial, ("error", "invalid_request"), ("error_description", "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.")));
            }
        }

        return new(partial with
        {
            Scope = string.Join(' ', scopes.Distinct(StringComparer.Ordinal)),
            Env = env,
            CodeChallenge = challenge,
            CodeChallengeMethod = challenge is null ? null : method,
        }, null);
    }

    private sealed record AuthorizeCheck(AuthorizeRequest? Request, IResult? Failure);
}

/// <summary>A validated authorize request.</summary>
internal sealed record AuthorizeRequest(RegisteredClient Client, string RedirectUri, string? State, string Scope, TradingEnv? Env)
{
    /// <summary>PKCE: the challenge and its method (S256 or plain), or null.</summary>
    public string? CodeChallenge { get; init; }

    public string? CodeChallengeMethod { get; init; }
}
