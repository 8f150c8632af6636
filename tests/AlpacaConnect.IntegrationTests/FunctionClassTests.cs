using System.Text;
using System.Text.Json;
using AlpacaConnect.Core;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.Functions;
using AlpacaConnect.IntegrationTests.Infrastructure;
using AlpacaConnect.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AlpacaConnect.IntegrationTests;

/// <summary>
/// The Functions classes constructed and called directly, wired as the Functions Program wires them
/// (AddAlpacaConnectCore over Azurite): no Functions host is needed to test a trigger.
/// </summary>
public sealed class FunctionClassTests : IAsyncLifetime
{
    private readonly string _prefix = Azurite.NewPrefix("t", 12);
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["Storage:Prefix"] = _prefix,
            ["Connect:PublicBaseUrl"] = "https://fn.example.com",
            ["Connect:AllowedReturnOrigins"] = "https://app.example.com",
            ["Secrets:TokenEncryptionKey"] = Convert.ToBase64String(new byte[32]),
        }).Build();
        // What any host gives its services: a lifetime (the MCP SDK's background service waits on it).
        _services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration)
            .AddSingleton<IHostApplicationLifetime, Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>()
            .AddAlpacaConnectCore(configuration).BuildServiceProvider();
        foreach (var hosted in _services.GetServices<IHostedService>())
            await hosted.StartAsync(default);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await Azurite.DeletePrefixedAsync(_prefix);
    }

    [Fact]
    public async Task CreateLink_stores_a_link_and_answers_201_with_the_authorize_url()
    {
        var function = ActivatorUtilities.CreateInstance<ConnectFunctions>(_services);
        var (status, body) = await InvokeAsync(r => function.CreateLink(r), "POST",
            """{"user_id":"zoe","env":"live","return_url":"https://app.example.com/back"}""");

        Assert.Equal(201, status);
        using var doc = JsonDocument.Parse(body);
        Assert.StartsWith("https://fn.example.com/api/oauth/authorize?link=", doc.RootElement.GetProperty("url").GetString());
        var links = _services.GetRequiredService<Tables>().Get(Tables.ConnectLinks);
        var row = Assert.Single(links.Query<Azure.Data.Tables.TableEntity>().ToList());
        Assert.Equal("zoe", row.GetString("UserId"));
        Assert.Equal("live", row.GetString("Env"));
    }

    [Fact]
    public async Task CreateLink_refuses_bad_input_with_problem_json_and_stores_nothing()
    {
        var function = ActivatorUtilities.CreateInstance<ConnectFunctions>(_services);
        var (status, body) = await InvokeAsync(r => function.CreateLink(r), "POST", """{"user_id":"zoe","env":"live","return_url":"https://evil.example.net/"}""");
        Assert.Equal(422, status);
        Assert.Contains("return_url", body);
        Assert.Empty(_services.GetRequiredService<Tables>().Get(Tables.ConnectLinks).Query<Azure.Data.Tables.TableEntity>().ToList());
    }

    [Fact]
    public async Task Authorize_with_an_unknown_link_answers_a_readable_page()
    {
        var function = ActivatorUtilities.CreateInstance<ConnectFunctions>(_services);
        var (status, body) = await InvokeAsync(r => function.Authorize(r), "GET", query: "?link=" + new string('Q', 43));
        Assert.Equal(404, status);
        Assert.Contains("<h1>Unknown link</h1>", body);
    }

    [Fact]
    public async Task Health_and_connections_answer_through_the_function_classes()
    {
        var health = ActivatorUtilities.CreateInstance<HealthFunction>(_services);
        Assert.Equal(200, (await InvokeAsync(r => health.Check(r), "GET")).Status);

        var connections = ActivatorUtilities.CreateInstance<ConnectionFunctions>(_services);
        var (status, body) = await InvokeAsync(r => connections.List(r, "nobody"), "GET");
        Assert.Equal(200, status);
        Assert.Equal("""{"user_id":"nobody","connections":[]}""", body);
        Assert.Equal(404, (await InvokeAsync(r => connections.Disconnect(r, "nobody", "paper"), "DELETE")).Status);
    }

    private async Task<(int Status, string Body)> InvokeAsync(Func<HttpRequest, Task<IResult>> function, string method, string? json = null, string query = "")
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Method = method;
        context.Request.QueryString = new QueryString(query);
        if (json is not null)
        {
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        }
        var responseBody = new MemoryStream();
        context.Response.Body = responseBody;

        var result = await function(context.Request);
        await result.ExecuteAsync(context);
        return (context.Response.StatusCode, Encoding.UTF8.GetString(responseBody.ToArray()));
    }
}
