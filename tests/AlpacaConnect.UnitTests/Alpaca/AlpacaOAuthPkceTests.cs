using System.Net;
using System.Text;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Secrets;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using Moq;
using Moq.Protected;

namespace AlpacaConnect.UnitTests.Alpaca;

/// <summary>The token exchange with and without a PKCE verifier.</summary>
public sealed class AlpacaOAuthPkceTests
{
    [Theory]
    [InlineData("verifier-0123456789-0123456789-0123456789-x")]
    [InlineData(null)]
    public async Task The_verifier_is_sent_exactly_when_the_flow_has_one(string? verifier)
    {
        string? body = null;
        var handler = new Mock<HttpMessageHandler>();
        handler.Protected().Setup<Task<HttpResponseMessage>>("SendAsync", ItExpr.IsAny<HttpRequestMessage>(), ItExpr.IsAny<CancellationToken>())
            .Returns(async (HttpRequestMessage request, CancellationToken ct) =>
            {
                body = await request.Content!.ReadAsStringAsync(ct);
                return new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StringContent("""{"access_token":"tok","token_type":"bearer","scope":"trading"}""", Encoding.UTF8, "application/json"),
                };
            });
        var secrets = new SecretStore(null, new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Secrets:AlpacaClientSecret"] = "s3cret",
        }).Build(), Microsoft.Extensions.Options.Options.Create(new SecretsOptions()), TimeProvider.System);
        var client = new AlpacaOAuthClient(new HttpClient(handler.Object), Microsoft.Extensions.Options.Options.Create(new AlpacaOptions { ClientId = "c" }), secrets);

        var grant = await client.ExchangeCodeAsync("code-1", new Uri("https://me.example.com/api/oauth/callback"), verifier, default);

        Assert.True(grant.IsSuccess);
        var form = QueryHelpers.ParseQuery(body);
        Assert.Equal(verifier is not null, form.ContainsKey("code_verifier"));
        if (verifier is not null)
            Assert.Equal(verifier, form["code_verifier"]);
    }
}
