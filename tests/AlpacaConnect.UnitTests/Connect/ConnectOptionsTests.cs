using AlpacaConnect.Core;
using AlpacaConnect.Core.Connect;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.UnitTests.Connect;

/// <summary>Connect:* bound and validated the way the hosts do it (AddAlpacaConnectCore).</summary>
public sealed class ConnectOptionsTests
{
    private static ConnectOptions Bind(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["Connect:PublicBaseUrl"] = "https://api.example.com",
            ["Connect:AllowedReturnOrigins"] = "https://app.example.com",
        };
        foreach (var (key, value) in settings)
            values[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        using var services = new ServiceCollection().AddLogging().AddAlpacaConnectCore(configuration).BuildServiceProvider();
        return services.GetRequiredService<IOptions<ConnectOptions>>().Value;
    }

    [Fact]
    public void Sharing_is_refused_and_pkce_off_unless_configured()
    {
        var defaults = Bind();
        Assert.False(defaults.AllowSharedAccounts);
        Assert.False(defaults.UsePkce);

        var configured = Bind(("Connect:AllowSharedAccounts", "true"), ("Connect:UsePkce", "True"));
        Assert.True(configured.AllowSharedAccounts);
        Assert.True(configured.UsePkce);
    }

    [Theory]
    [InlineData("Connect:AllowSharedAccounts")]
    [InlineData("Connect:UsePkce")]
    public void A_value_that_is_not_a_boolean_fails_naming_the_setting(string key)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Bind((key, "maybe")));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
