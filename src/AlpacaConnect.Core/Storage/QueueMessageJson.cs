using System.Text.Json;
using System.Text.Json.Serialization;
using AlpacaConnect.Core.Http;

namespace AlpacaConnect.Core.Storage;

/// <summary>
/// Queue messages are small versioned JSON: written like the API's JSON, read tolerantly (a newer
/// writer's extra fields are skipped), and anything unreadable or of another version is null.
/// </summary>
public static class QueueMessageJson
{
    private static readonly JsonSerializerOptions Options = new(JsonBody.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };

    public static string Serialize<T>(T message) => JsonSerializer.Serialize(message, Options);

    public static T? Deserialize<T>(string json, Func<T, bool> isValid) where T : class
    {
        try
        {
            var message = JsonSerializer.Deserialize<T>(json, Options);
            return message is not null && isValid(message) ? message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
