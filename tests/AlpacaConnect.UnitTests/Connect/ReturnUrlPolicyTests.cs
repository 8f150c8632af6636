using AlpacaConnect.Core.Connect;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.UnitTests.Connect;

public sealed class ReturnUrlPolicyTests
{
    private readonly ReturnUrlPolicy _policy = new(Options.Create(new ConnectOptions
    {
        PublicBaseUrl = new Uri("https://api.example.com"),
        AllowedReturnOrigins = "https://app.example.com, http://localhost:3000/",
    }));

    [Theory]
    [InlineData("https://app.example.com/settings?tab=brokers", true)]
    [InlineData("https://APP.example.com/", true)]
    [InlineData("https://app.example.com:443/x", true)]
    [InlineData("http://localhost:3000/cb", true)]
    [InlineData("http://localhost:3001/cb", false)]
    [InlineData("http://app.example.com/", false)]
    [InlineData("https://app.example.com.evil.net/", false)]
    [InlineData("https://evil.net/?https://app.example.com", false)]
    [InlineData("https://user:pw@app.example.com/", false)]
    [InlineData("//app.example.com/", false)]
    [InlineData("/settings", false)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Only_allowlisted_origins_are_return_targets(string? url, bool allowed) =>
        Assert.Equal(allowed, _policy.IsAllowed(url, out _));
}
