using System.Text.Json.Serialization;
using AlpacaConnect.Core.Secrets;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Alpaca;

/// <summary>The token endpoint: trades an authorization code for a bearer token (backend only).</summary>
public sealed class AlpacaOAuthClient(HttpClient http, IOptions<AlpacaOptions> options, SecretStore secrets)
{
    public sealed record TokenGrant(AccessToken AccessToken, string Scope);

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("token_type")] string? TokenType,
        [property: JsonPropertyName("scope")] string? Scope);

    /// <summary>
    /// Exchanges a code once. Never retried: codes are single-use, so a second try could only fail.
    /// </summary>
    /// <param name="codeVerifier">The PKCE verifier of the flow the code was issued to, when it sent a challenge.</param>
    public async Task<AlpacaResult<TokenGrant>> ExchangeCodeAsync(string code, Uri redirectUri, string? codeVerifier, CancellationToken ct)
    {
        var alpaca = options.Value;
        var clientSecret = await secrets.GetAsync(SecretNames.AlpacaClientSecret, ct);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["client_id"] = alpaca.ClientId,
            ["client_secret"] = clientSecret.Value,
            ["redirect_uri"] = redirectUri.AbsoluteUri,
        };
        if (codeVerifier is not null)
            form["code_verifier"] = codeVerifier;
        using var request = new HttpRequestMessage(HttpMethod.Post, alpaca.TokenUrl)
        {
            // Alpaca answers invalid_client unless the body is form-encoded.
            Content = new FormUrlEncodedContent(form),
        };
        var result = await AlpacaHttp.SendAsync<TokenResponse>(http, request, ct);
        if (!result.IsSuccess)
            return AlpacaResult<TokenGrant>.Fail(result.Error!);
        var body = result.Value!;
        if (string.IsNullOrEmpty(body.AccessToken) || !string.Equals(body.TokenType, "bearer", StringComparison.OrdinalIgnoreCase))
            return AlpacaResult<TokenGrant>.Fail(new AlpacaError(AlpacaErrorKind.ServerError, 200, null, "The token response had no bearer token."));
        return AlpacaResult<TokenGrant>.Ok(new TokenGrant(new AccessToken(body.AccessToken), body.Scope ?? ""));
    }
}
