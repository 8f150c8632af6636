using System.Text.Json;

namespace AlpacaConnect.IntegrationTests.Conformance;

/// <summary>
/// Records every request that passes through (method, URI, body) and its response (status, body) as text,
/// buffering both so the caller still reads them normally.
/// </summary>
public sealed class RecordingHandler : DelegatingHandler
{
    private readonly List<RecordedExchange> _exchanges = [];
    private readonly Lock _gate = new();

    public RecordingHandler()
        : base(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
    }

    public RecordingHandler(HttpMessageHandler inner)
        : base(inner)
    {
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _exchanges.Count;
            }
        }
    }

    public IReadOnlyList<RecordedExchange> Exchanges
    {
        get
        {
            lock (_gate)
            {
                return [.. _exchanges];
            }
        }
    }

    /// <summary>The exchanges recorded after the first <paramref name="count"/>.</summary>
    public IReadOnlyList<RecordedExchange> Since(int count)
    {
        lock (_gate)
        {
            return _exchanges.Skip(count).ToList();
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string? requestBody = null;
        string? requestContentType = null;
        if (request.Content is not null)
        {
            // Buffers the content; the transport then sends the same bytes.
            requestBody = await request.Content.ReadAsStringAsync(cancellationToken);
            requestContentType = request.Content.Headers.ContentType?.MediaType;
        }

        var response = await base.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var responseBody = await response.Content.ReadAsStringAsync(cancellationToken);

        var exchange = new RecordedExchange(
            request.Method,
            request.RequestUri!,
            requestContentType,
            requestBody,
            (int)response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            responseBody);
        lock (_gate)
        {
            _exchanges.Add(exchange);
        }

        return response;
    }
}

/// <summary>One request and its response, bodies as sent on the wire.</summary>
public sealed record RecordedExchange(
    HttpMethod Method,
    Uri Uri,
    string? RequestContentType,
    string? RequestBody,
    int Status,
    string? ResponseContentType,
    string ResponseBody)
{
    public string Path => Uri.AbsolutePath;

    public bool HasRequestBody => !string.IsNullOrEmpty(RequestBody);

    public bool HasResponseBody => ResponseBody.Length > 0;

    /// <summary>The request body as JSON, or null when there is none; throws <see cref="JsonException"/> when it is not JSON.</summary>
    public JsonElement? RequestJson => HasRequestBody ? Parse(RequestBody!) : null;

    /// <summary>The response body as JSON, or null when it is empty; throws <see cref="JsonException"/> when it is not JSON.</summary>
    public JsonElement? ResponseJson => HasResponseBody ? Parse(ResponseBody) : null;

    public override string ToString() => $"{Method} {Uri.PathAndQuery} → {Status}";

    private static JsonElement Parse(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
