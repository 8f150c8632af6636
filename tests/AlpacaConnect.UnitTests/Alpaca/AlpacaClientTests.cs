using System.Net;
using System.Text;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Moq;
using Moq.Protected;

namespace AlpacaConnect.UnitTests.Alpaca;

/// <summary>The clients against a mocked HTTP boundary: what they send and how Alpaca's answers map.</summary>
public sealed class AlpacaClientTests
{
    private readonly Mock<HttpMessageHandler> _handler = new();
    private readonly List<(HttpRequestMessage Request, string Body)> _sent = [];
    private static readonly IOptions<AlpacaOptions> Options = Microsoft.Extensions.Options.Options.Create(new AlpacaOptions { ClientId = "client-1" });

    private void Answer(HttpStatusCode status, string body, Action<HttpResponseMessage>? headers = null) =>
        _handler.Protected().Setup<Task<HttpResponseMessage>>("SendAsync", ItExpr.IsAny<HttpRequestMessage>(), ItExpr.IsAny<CancellationToken>())
            .Returns(async (HttpRequestMessage request, CancellationToken ct) =>
            {
                _sent.Add((request, request.Content is null ? "" : await request.Content.ReadAsStringAsync(ct)));
                var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                headers?.Invoke(response);
                return response;
            });

    private AlpacaTradingClient Trading() => new(new HttpClient(_handler.Object), Options);

    [Fact]
    public async Task The_token_exchange_posts_a_form_with_the_secret_from_the_store()
    {
        Answer(HttpStatusCode.OK, """{"access_token":"tok-123","token_type":"bearer","scope":"account:write trading"}""");
        var secrets = new SecretStore(null, new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Secrets:AlpacaClientSecret"] = "s3cret",
        }).Build(), Microsoft.Extensions.Options.Options.Create(new SecretsOptions()), TimeProvider.System);
        var client = new AlpacaOAuthClient(new HttpClient(_handler.Object), Options, secrets);

        var grant = await client.ExchangeCodeAsync("code-1", new Uri("https://me.example.com/api/oauth/callback"), codeVerifier: null, default);

        Assert.True(grant.IsSuccess);
        Assert.Equal("tok-123", grant.Value!.AccessToken.Value);
        Assert.Equal("account:write trading", grant.Value.Scope);
        var (request, body) = Assert.Single(_sent);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("https://api.alpaca.markets/oauth/token", request.RequestUri!.ToString());
        Assert.Equal("application/x-www-form-urlencoded", request.Content!.Headers.ContentType!.MediaType);
        Assert.Equal("grant_type=authorization_code&code=code-1&client_id=client-1&client_secret=s3cret&redirect_uri=https%3A%2F%2Fme.example.com%2Fapi%2Foauth%2Fcallback", body);
    }

    [Fact]
    public async Task Calls_carry_the_bearer_token_to_the_env_host()
    {
        Answer(HttpStatusCode.OK, """{"id":"acc-1","account_number":"PA1","status":"ACTIVE","cash":"100.5","new_field_from_alpaca":1}""");
        var account = await Trading().GetAccountAsync(AlpacaEnv.Paper, new AccessToken("tok-9"), default);
        Assert.Equal("acc-1", account.Value!.Id);
        Assert.Equal("100.5", account.Value.Cash);
        Assert.Equal("https://paper-api.alpaca.markets/v2/account", _sent[0].Request.RequestUri!.ToString());
        Assert.Equal("Bearer tok-9", _sent[0].Request.Headers.Authorization!.ToString());

        await Trading().GetAccountAsync(AlpacaEnv.Live, new AccessToken("tok-9"), default);
        Assert.Equal("https://api.alpaca.markets/v2/account", _sent[1].Request.RequestUri!.ToString());
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, """{"code":40110000,"message":"request is not authorized"}""", AlpacaErrorKind.Unauthorized, 40110000, "request is not authorized")]
    [InlineData(HttpStatusCode.Forbidden, """{"code":40310000,"message":"insufficient buying power","buying_power":"0"}""", AlpacaErrorKind.Forbidden, 40310000, "insufficient buying power")]
    [InlineData(HttpStatusCode.Forbidden, """{"message":"forbidden."}""", AlpacaErrorKind.Forbidden, null, "forbidden.")]
    [InlineData(HttpStatusCode.NotFound, """{"code":40410000,"message":"order not found"}""", AlpacaErrorKind.NotFound, 40410000, "order not found")]
    [InlineData(HttpStatusCode.UnprocessableEntity, """{"code":40010001,"message":"client_order_id must be unique"}""", AlpacaErrorKind.Invalid, 40010001, "client_order_id must be unique")]
    [InlineData(HttpStatusCode.InternalServerError, "<html>oops</html>", AlpacaErrorKind.ServerError, null, "Internal Server Error")]
    public async Task Errors_map_to_typed_outcomes_with_alpacas_code_and_message(HttpStatusCode status, string body, AlpacaErrorKind kind, int? code, string message)
    {
        Answer(status, body);
        var result = await Trading().GetAccountAsync(AlpacaEnv.Paper, new AccessToken("t"), default);
        Assert.False(result.IsSuccess);
        Assert.Equal(new AlpacaError(kind, (int)status, code, message), result.Error);
    }

    [Fact]
    public async Task A_429_carries_the_rate_limit_reset()
    {
        Answer(HttpStatusCode.TooManyRequests, """{"code":42910000,"message":"rate limit exceeded"}""",
            r => r.Headers.Add("X-RateLimit-Reset", "1800000000"));
        var error = (await Trading().GetAccountAsync(AlpacaEnv.Paper, new AccessToken("t"), default)).Error!;
        Assert.Equal(AlpacaErrorKind.RateLimited, error.Kind);
        Assert.True(error.IsTransient);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), error.RateLimitReset);
    }

    [Fact]
    public async Task Timeouts_and_unreachable_hosts_are_outcomes_not_exceptions()
    {
        _handler.Protected().Setup<Task<HttpResponseMessage>>("SendAsync", ItExpr.IsAny<HttpRequestMessage>(), ItExpr.IsAny<CancellationToken>())
            .ThrowsAsync(new TaskCanceledException("timed out", new TimeoutException()));
        Assert.Equal(AlpacaErrorKind.Timeout, (await Trading().GetAccountAsync(AlpacaEnv.Paper, new AccessToken("t"), default)).Error!.Kind);

        _handler.Protected().Setup<Task<HttpResponseMessage>>("SendAsync", ItExpr.IsAny<HttpRequestMessage>(), ItExpr.IsAny<CancellationToken>())
            .ThrowsAsync(new HttpRequestException(HttpRequestError.ConnectionError, "refused"));
        var unreachable = (await Trading().GetAccountAsync(AlpacaEnv.Paper, new AccessToken("t"), default)).Error!;
        Assert.Equal(AlpacaErrorKind.Unreachable, unreachable.Kind);
        Assert.True(unreachable.IsTransient);
    }

    [Fact]
    public void The_sandbox_is_the_default_without_a_client_id()
    {
        var options = new AlpacaOptions { SandboxUrl = new Uri("http://localhost:7072") };
        options.ApplySandboxDefault();
        Assert.True(options.UsesSandbox);
        Assert.Equal(AlpacaOptions.SandboxClientId, options.ClientId);
        Assert.Equal("http://localhost:7072/oauth/token", options.TokenUrl.ToString());
        Assert.Equal("http://localhost:7072/paper", options.PaperApiUrl.ToString());

        var real = new AlpacaOptions { ClientId = "abc" };
        real.ApplySandboxDefault();
        Assert.False(real.UsesSandbox);
        Assert.Equal("https://paper-api.alpaca.markets/", real.PaperApiUrl.ToString());
    }
}
