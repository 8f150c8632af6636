using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Core.Telemetry;
using Polly.Timeout;

namespace AlpacaConnect.Core.Alpaca;

/// <summary>Sends one request to Alpaca and turns every way it can go wrong into an <see cref="AlpacaError"/>.</summary>
internal static class AlpacaHttp
{
    public static async Task<AlpacaResult<T>> SendAsync<T>(HttpClient http, HttpRequestMessage request, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var status = 0;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
                return AlpacaResult<T>.Fail(await ReadErrorAsync(response, ct));
            if (typeof(T) == typeof(NoContent))
                return AlpacaResult<T>.Ok((T)(object)NoContent.Value);
            var value = await response.Content.ReadFromJsonAsync<T>(AlpacaJson.Options, ct);
            return value is null
                ? AlpacaResult<T>.Fail(new AlpacaError(AlpacaErrorKind.ServerError, (int)response.StatusCode, null, "Alpaca answered with an empty body."))
                : AlpacaResult<T>.Ok(value);
        }
        catch (Exception ex) when (ex is TimeoutRejectedException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return AlpacaResult<T>.Fail(new AlpacaError(AlpacaErrorKind.Timeout, 0, null, "Alpaca did not answer in time."));
        }
        catch (Polly.CircuitBreaker.BrokenCircuitException)
        {
            return AlpacaResult<T>.Fail(new AlpacaError(AlpacaErrorKind.Unreachable, 0, null, "Calls to Alpaca are paused after repeated failures."));
        }
        catch (HttpRequestException ex)
        {
            return AlpacaResult<T>.Fail(new AlpacaError(AlpacaErrorKind.Unreachable, 0, null, $"Alpaca could not be reached: {ex.HttpRequestError}."));
        }
        catch (JsonException)
        {
            return AlpacaResult<T>.Fail(new AlpacaError(AlpacaErrorKind.ServerError, 200, null, "Alpaca answered with JSON we could not read."));
        }
        finally
        {
            AlpacaConnectTelemetry.AlpacaRequestDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                new KeyValuePair<string, object?>("operation", Operation(request)), new KeyValuePair<string, object?>("status", status));
        }
    }

    /// <summary>"GET v2/orders/{id}": the call without ids, so the metric has few, meaningful series.</summary>
    internal static string Operation(HttpRequestMessage request)
    {
        var segments = request.RequestUri!.AbsolutePath.Trim('/').Split('/').ToList();
        var v2 = segments.FindIndex(s => s is "v2" or "oauth");
        if (v2 > 0)
            segments.RemoveRange(0, v2);
        for (var i = 1; i < segments.Count; i++)
            if (segments[i - 1] is "orders" or "positions" or "assets")
                segments[i] = "{id}";
        return $"{request.Method.Method} {string.Join('/', segments)}";
    }

    public static async Task<AlpacaError> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        int? code = null;
        string message = response.ReasonPhrase ?? "error";
        try
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (doc.RootElement.TryGetProperty("code", out var c) && c.TryGetInt32(out var n))
                    code = n;
                if (doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                    message = m.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy page, an empty body): the status line says enough.
        }

        var kind = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => AlpacaErrorKind.Unauthorized,
            HttpStatusCode.Forbidden => AlpacaErrorKind.Forbidden,
            HttpStatusCode.NotFound => AlpacaErrorKind.NotFound,
            HttpStatusCode.TooManyRequests => AlpacaErrorKind.RateLimited,
            HttpStatusCode.RequestTimeout or HttpStatusCode.GatewayTimeout => AlpacaErrorKind.Timeout,
            _ when status >= 500 => AlpacaErrorKind.ServerError,
            _ => AlpacaErrorKind.Invalid,
        };
        return new AlpacaError(kind, status, code, message, RateLimitReset(response));
    }

    private static DateTimeOffset? RateLimitReset(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-RateLimit-Reset", out var values)
        && long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var unix)
            ? DateTimeOffset.FromUnixTimeSeconds(unix)
            : null;
}

/// <summary>The answer of calls whose success has no body (204).</summary>
public sealed record NoContent
{
    public static readonly NoContent Value = new();
}
