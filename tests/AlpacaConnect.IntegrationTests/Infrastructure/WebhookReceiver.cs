using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlpacaConnect.IntegrationTests.Infrastructure;

/// <summary>What the receiver got: the raw body and the headers, as a receiver would verify them.</summary>
public sealed record ReceivedWebhook(string Path, string Body, IHeaderDictionary Headers, DateTimeOffset At);

/// <summary>
/// A real HTTP receiver on a loopback port (Kestrel). Each path can be told how to answer, e.g. fail
/// twice then succeed, or answer 410.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<int, HttpStatusCode>> _behaviour = new();
    private readonly ConcurrentDictionary<string, int> _calls = new();

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();
    public Uri BaseUrl { get; }

    private WebhookReceiver(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver receiver = null!;
        app.MapPost("/{**path}", async (HttpContext context, string path) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            receiver.Received.Enqueue(new ReceivedWebhook("/" + path, body, new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value)), DateTimeOffset.UtcNow));
            var call = receiver._calls.AddOrUpdate("/" + path, 1, (_, n) => n + 1);
            var status = receiver._behaviour.TryGetValue("/" + path, out var behave) ? behave(call) : HttpStatusCode.OK;
            return Results.StatusCode((int)status);
        });
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        receiver = new WebhookReceiver(app, new Uri(bound));
        return receiver;
    }

    public string Url(string path) => new Uri(BaseUrl, path).ToString();

    /// <summary>How <paramref name="path"/> answers its n-th call (1-based).</summary>
    public void Answer(string path, Func<int, HttpStatusCode> behaviour) => _behaviour[path] = behaviour;

    public IReadOnlyList<ReceivedWebhook> At(string path) => Received.Where(r => r.Path == path).ToList();

    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(string path, Func<IReadOnlyList<ReceivedWebhook>, bool> done, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (DateTime.UtcNow < deadline)
        {
            var got = At(path);
            if (done(got))
                return got;
            await Task.Delay(100);
        }
        Assert.Fail($"The receiver at {path} did not get what was expected; it got {At(path).Count} requests.");
        return [];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
