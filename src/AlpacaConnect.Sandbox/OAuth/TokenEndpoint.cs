using AlpacaConnect.Sandbox.Http;

namespace AlpacaConnect.Sandbox.OAuth;

/// <summary>
/// api.alpaca.markets/oauth/token: authorization-code exchange only (with PKCE when the authorize
/// request had a code_challenge), answered in Alpaca's error shape.
/// </summary>
internal static class TokenEndpoint
{
    public static void MapToken(this IEndpointRouteBuilder app) => app.MapPost("/oauth/token", Exchange);

    private static async Task<IResult> Exchange(HttpContext http, OAuthStore store, TimeProvider time)
    {
        // Alpaca answers invalid_client when the body is not a form (JSON bodies are a classic mistake).
        var mediaType = http.Request.ContentType?.Split(';')[0].Trim();
        if (!string.Equals(mediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return InvalidClient();
        }

        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return Error("invalid_request");
        }

        string? Field(string name) => form.TryGetValue(name, out var v) && v.Count == 1 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;

        var client = store.FindClient(Field("client_id"));
        if (client is null || !client.SecretMatches(Field("client_secret")))
        {
            return InvalidClient();
        }

        var grantType = Field("grant_type");
        if (grantType is null)
        {
            return Error("invalid_request");
        }

        if (grantType != "authorization_code")
        {
            return Error("unsupported_grant_type");
        }

        var codeValue = Field("code");
        var redirectUri = Field("redirect_uri");
        if (codeValue is null || redirectUri is null)
        {
            return Error("invalid_request");
        }

        var code = store.ConsumeCode(codeValue);
        if (code is null || code.ExpiresAt <= time.GetUtcNow() || code.ClientId != client.ClientId || code.RedirectUri != redirectUri)
        {
            return Error("invalid_grant");
        }

        // PKCE: RFC 7636 section 4.6 answers a verifier that does not match with invalid_grant; the code is burnt already.
        if (!Pkce.Verifies(code, Field("code_verifier")))
        {
            return Error("invalid_grant");
        }

        var grant = store.IssueToken(code);
        http.Response.Headers.CacheControl = "no-store";
        return Results.Json(new TokenResponse(grant.Token, "bearer", grant.Scope));
    }

    private static IResult InvalidClient() => AlpacaError.Json(401, AlpacaError.Unauthorized, "invalid_client");

    private static IResult Error(string error) => AlpacaError.Json(400, AlpacaError.InvalidRequest, error);

    private sealed record TokenResponse(string AccessToken, string TokenType, string Scope);
}
