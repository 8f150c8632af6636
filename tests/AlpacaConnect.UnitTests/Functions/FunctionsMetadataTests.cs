using System.Text.Json;

namespace AlpacaConnect.UnitTests.Functions;

/// <summary>
/// `func start` cannot run here, so this reads what it (and Azure) would load: the functions.metadata
/// the pinned Worker SDK writes into the Functions build output.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly Lazy<JsonElement[]> Functions = new(() =>
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory); // tests/AlpacaConnect.UnitTests/bin/<config>/net10.0/
        var configuration = testOutput.Parent!.Name;
        var repo = testOutput.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(repo, "src", "AlpacaConnect.Functions", "bin", configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"No functions.metadata at {path}: build the Functions project first.");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    });

    private static JsonElement Trigger(string function)
    {
        var entry = Assert.Single(Functions.Value, f => f.GetProperty("name").GetString() == function);
        return Assert.Single(entry.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("CreateConnectLink", "connect-links", "post", "Function")]
    [InlineData("Authorize", "oauth/authorize", "get", "Anonymous")]
    [InlineData("OAuthCallback", "oauth/callback", "get", "Anonymous")]
    [InlineData("ListConnections", "connections/{userId}", "get", "Function")]
    [InlineData("Disconnect", "connections/{userId}/{env}", "delete", "Function")]
    [InlineData("Health", "health", "get", "Anonymous")]
    public void Http_functions_have_the_route_method_and_auth_level_the_server_mirrors(string name, string route, string method, string authLevel)
    {
        var trigger = Trigger(name);
        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
    }

    [Fact]
    public void Every_function_in_the_build_is_covered_by_a_test_here()
    {
        var names = Functions.Value.Select(f => f.GetProperty("name").GetString()).Order().ToArray();
        Assert.Equal(new[] { "Authorize", "CreateConnectLink", "Disconnect", "Health", "ListConnections", "OAuthCallback" }, names);
    }
}
