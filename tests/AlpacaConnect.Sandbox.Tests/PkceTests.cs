using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Web;

namespace AlpacaConnect.Sandbox.Tests;

/// <summary>PKCE (RFC 7636) at the Sandbox's authorize and token endpoints.</summary>
public sealed class PkceTests
{
    private const string Verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"; // RFC 7636 appendix B
    private const string S256Challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    [Fact]
    public async Task The_consent_form_carries_the_challenge_and_the_right_verifier_gets_the_token()
    {
        await using var sb = await Running.StartAsync();
        using var page = await sb.Http.GetAsync(new Uri("/oauth/authorize?" + Query(S256Challenge, "S256"), UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains($"name=\"code_challenge\" value=\"{S256Challenge}\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"code_challenge_method\" value=\"S256\"", html, StringComparison.Ordinal);

        var code = await CodeAsync(sb, S256Challenge, "S256");
        using var token = await ExchangeAsync(sb, code, Verifier);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wrong-verifier-wrong-verifier-wrong-verifier-00")]
    [InlineData("short")]
    public async Task A_missing_or_wrong_verifier_is_invalid_grant_and_burns_the_code(string? verifier)
    {
        await using var sb = await Running.StartAsync();
        var code = await CodeAsync(sb, S256Challenge, "S256");
        using (var refused = await ExchangeAsync(sb, code, verifier))
        {
            await Running.AssertError(refused, HttpStatusCode.BadRequest, 40010000, "invalid_grant");
        }

        using var retry = await ExchangeAsync(sb, code, Verifier);
        await Running.AssertError(retry, HttpStatusCode.BadRequest, 40010000, "invalid_grant");
    }

    [Fact]
    public async Task A_verifier_sent_for_a_code_issued_without_a_challenge_is_invalid_grant()
    {
        // RFC 9700 section 4.8.2: otherwise an attacker could strip the challenge (a PKCE downgrade).
        await using var sb = await Running.StartAsync();
        var code = await sb.CodeAsync();
        using var response = await ExchangeAsync(sb, code, Verifier);
        await Running.AssertError(response, HttpStatusCode.BadRequest, 40010000, "invalid_grant");
    }

    [Fact]
    public async Task The_plain_method_is_the_default_and_works()
    {
        await using var sb = await Running.StartAsync();
        var code = await CodeAsync(sb, Verifier, method: null);
        using var token = await ExchangeAsync(sb, code, Verifier);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);

        var s256Code = await CodeAsync(sb, S256Challenge, "S256");
        using var plainAnswer = await ExchangeAsync(sb, s256Code, S256Challenge); // the challenge itself is not the verifier
        await Running.AssertError(plainAnswer, HttpStatusCode.BadRequest, 40010000, "invalid_grant");
    }

    [Theory]
    [InlineData("code_challenge=" + S256Challenge + "&code_challenge_method=S512")]
    [InlineData("code_challenge=too-short&code_challenge_method=S256")]
    [InlineData("code_challenge=" + S256Challenge + "%21&code_challenge_method=S256")]
    [InlineData("code_challenge=&code_challenge_method=S256")]
    [InlineData("code_challenge_method=S256")]
    [InlineData("code_challenge=" + S256Challenge + "&code_challenge=" + S256Challenge + "&code_challenge_method=S256")]
    public async Task Bad_pkce_parameters_redirect_with_invalid_request(string pkce)
    {
        await using var sb = await Running.StartAsync();
        using var response = await sb.Http.GetAsync(new Uri("/oauth/authorize?" + Running.AuthorizeQuery() + "&" + pkce, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var back = HttpUtility.ParseQueryString(response.Headers.Location!.Query);
        Assert.Equal("invalid_request", back["error"]);
        Assert.Equal("st-123", back["state"]);
        Assert.Null(back["code"]);
    }

    [Fact]
    public void The_test_vector_is_S256_of_the_verifier() =>
        Assert.Equal(S256Challenge, Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_'));

    private static string Query(string challenge, string? method) =>
        Running.AuthorizeQuery() + "&code_challenge=" + Uri.EscapeDataString(challenge) + (method is null ? "" : "&code_challenge_method=" + method);

    private static async Task<string> CodeAsync(Running sb, string challenge, string? method)
    {
        var fields = new Dictionary<string, string>
        {
            ["response_type"] = "code", ["client_id"] = Running.ClientId, ["redirect_uri"] = Running.RedirectUri, ["state"] = "st-123",
            ["scope"] = "trading", ["env"] = "paper", ["username"] = "sandbox-user", ["decision"] = "allow", ["code_challenge"] = challenge,
        };
        if (method is not null)
        {
            fields["code_challenge_method"] = method;
        }

        using var form = new FormUrlEncodedContent(fields);
        using var response = await sb.Http.PostAsync(new Uri("/oauth/authorize", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return HttpUtility.ParseQueryString(response.Headers.Location!.Query)["code"]!;
    }

    private static Task<HttpResponseMessage> ExchangeAsync(Running sb, string code, string? verifier)
    {
        var fields = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["client_id"] = Running.ClientId,
            ["client_secret"] = Running.ClientSecret, ["redirect_uri"] = Running.RedirectUri,
        };
        if (verifier is not null)
        {
            fields["code_verifier"] = verifier;
        }

        return sb.Http.PostAsync(new Uri("/oauth/token", UriKind.Relative), new FormUrlEncodedContent(fields));
    }
}
