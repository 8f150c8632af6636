using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connect;

namespace AlpacaConnect.UnitTests.Connect;

public sealed class ConnectResultUrlTests
{
    [Theory]
    [InlineData("https://app.example.com/done", null, "https://app.example.com/done?alpaca_connect=connected&env=paper")]
    [InlineData("https://app.example.com/done?", null, "https://app.example.com/done?alpaca_connect=connected&env=paper")]
    [InlineData("https://app.example.com/done?env=paper", null, "https://app.example.com/done?alpaca_connect=connected&env=paper")]
    [InlineData("https://app.example.com/done?user_id=a&env=live&tab=x", null, "https://app.example.com/done?user_id=a&tab=x&alpaca_connect=connected&env=paper")]
    [InlineData("https://app.example.com/done?alpaca_connect=connected&env=paper", "access_denied", "https://app.example.com/done?alpaca_connect=error&env=paper&reason=access_denied")]
    [InlineData("https://app.example.com/done?reason=old&alpaca%5Fconnect=error", null, "https://app.example.com/done?alpaca_connect=connected&env=paper")]
    [InlineData("https://app.example.com/done?next=%2Fa%20b&q=x+y", "expired", "https://app.example.com/done?next=%2Fa%20b&q=x+y&alpaca_connect=error&env=paper&reason=expired")]
    [InlineData("https://app.example.com/done?x=1#section", null, "https://app.example.com/done?x=1&alpaca_connect=connected&env=paper#section")]
    [InlineData("https://app.example.com/done?environment=x&envy=1", null, "https://app.example.com/done?environment=x&envy=1&alpaca_connect=connected&env=paper")]
    public void Each_result_parameter_appears_once_and_the_apps_own_query_is_kept(string returnUrl, string? reason, string expected) =>
        Assert.Equal(expected, ConnectResultUrl.Build(new Uri(returnUrl), AlpacaEnv.Paper, reason).AbsoluteUri);
}
