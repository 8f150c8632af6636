using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlpacaConnect.Core.Alpaca;

/// <summary>Alpaca's JSON: snake_case, and new fields from Alpaca are tolerated rather than fatal.</summary>
public static class AlpacaJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
