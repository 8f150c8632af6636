using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Http;

/// <summary>Strict JSON in and out: snake_case like Alpaca, unknown fields refused, size capped.</summary>
public static class JsonBody
{
    public const int MaxBytes = 64 * 1024;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.Strict,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    /// <summary>Reads the body as <typeparamref name="T"/> or says, for a 400, what was wrong with it.</summary>
    public static async Task<(T? Value, string? Error)> ReadAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, "Content-Type must be application/json.");
        if (request.ContentLength > MaxBytes)
            return (null, $"The body is larger than {MaxBytes} bytes.");

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
                return (null, $"The body is larger than {MaxBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
            return (null, "The body is empty; a JSON object is required.");

        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Options);
            return value is null ? (null, "The body must be a JSON object, not null.") : (value, null);
        }
        catch (JsonException ex)
        {
            // System.Text.Json messages name the path and the problem; they never echo secrets we hold.
            return (null, ex.Message);
        }
    }

    public static IResult Ok<T>(T value, int status = StatusCodes.Status200OK) =>
        Results.Json(value, Options, statusCode: status);
}
