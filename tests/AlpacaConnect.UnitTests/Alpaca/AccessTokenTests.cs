using AlpacaConnect.Core.Alpaca;

namespace AlpacaConnect.UnitTests.Alpaca;

public sealed class AccessTokenTests
{
    [Fact]
    public void An_access_token_never_prints_itself()
    {
        var token = new AccessToken("oauth-token-5f1b2c3d4e");
        Assert.DoesNotContain(token.Value, $"{token}", StringComparison.Ordinal);
    }
}
