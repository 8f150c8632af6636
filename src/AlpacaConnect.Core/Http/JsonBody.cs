using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace AlpacaConnect.Core.Http;

/// <summary>Strict JSON in and out: snake_case like Alpaca, unknown and repeated fields refused, size capped.</summary>
public static class JsonBody
{
    public const int MaxBytes = 64 * 1024;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // A repeated key ("qty":"1","qty":"100") is refused, never resolved silently by "last wins".
        AllowDuplicateProperties = false,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.Strict,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    /// <summary>
    /// Reads the body as <typeparamref name="T"/>, or answers the problem with it: 415 for a body that
    /// is not declared application/json, 400 for one that is not the JSON object expected.
    /// </summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class
    {
        if (UnsupportedMediaType(request.ContentType) is { } unsupported)
            return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type",
                "The body must be sent as application/json.", unsupported));
        if (request.ContentLength > MaxBytes)
            return (null, Problems.MalformedBody($"The body is larger than {MaxBytes} bytes."));

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
                return (null, Problems.MalformedBody($"The body is larger than {MaxBytes} bytes."));
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
            return (null, Problems.MalformedBody("The body is empty; a JSON object is required."));

        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Options);
            return value is null ? (null, Problems.MalformedBody("The body must be a JSON object, not null.")) : (value, null);
        }
        catch (JsonException ex)
        {
            // System.Text.Json messages name the path and the problem (a repeated key by its name);
            // they never echo secrets we hold.
            return (null, Problems.MalformedBody(ex.Message));
        }
    }

    /// <summary>
    /// Why a Content-Type is not one this API reads, or null if it is: exactly application/json,
    /// parsed as a media type (so "application/jsonx" is not it), with no charset but UTF-8 (JSON is
    /// UTF-8, RFC 8259). "+json" types (application/problem+json, merge-patch+json, ...) are JSON
    /// too, but each names a format with its own meaning that no endpoint here takes, so they are refused.
    /// </summary>
    internal static string? UnsupportedMediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
            return "Send Content-Type: application/json.";
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || !media.MediaType.HasValue)
            return $"'{Shorten(contentType)}' is not a media type; send Content-Type: application/json.";
        if (media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
            return $"{media.MediaType} is a JSON-based format this endpoint does not take; send a plain application/json body.";
        if (!media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return $"{Shorten(media.MediaType.Value!)} is not application/json.";
        if (media.Charset.HasValue && !HeaderUtilities.RemoveQuotes(media.Charset).Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            return $"charset={Shorten(media.Charset.Value!)} is not supported; JSON is UTF-8 (RFC 8259).";
        return null;
    }

    private static string Shorten(string value) => value.Length <= 48 ? value : value[..48] + "...";

    public static IResult Ok<T>(T value, int status = StatusCodes.Status200OK) =>
        Results.Json(value, Options, statusCode: status);
}
