using AlpacaConnect.Sandbox.Http;

namespace AlpacaConnect.Sandbox.Admin;

/// <summary>
/// Holds the market open or closed from a test, whatever the hour: what GET /v2/clock reports and
/// whether orders fill. Null (the start) leaves it to the Sandbox's sessions and MarketAlwaysOpen.
/// </summary>
internal sealed class MarketSwitch
{
    private volatile object? _isOpen;

    public bool? IsOpen
    {
        get => (bool?)_isOpen;
        set => _isOpen = value;
    }
}

/// <summary>PUT /sandbox/admin/market {"is_open": true|false|null}: the switch above; GET shows it.</summary>
internal static class MarketAdminEndpoints
{
    public static void MapMarketAdmin(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sandbox/admin/market", (MarketSwitch market) => Results.Json(new { is_open = market.IsOpen }));
        app.MapPut("/sandbox/admin/market", async (HttpContext http, MarketSwitch market) =>
        {
            try
            {
                using var body = await System.Text.Json.JsonDocument.ParseAsync(http.Request.Body);
                if (body.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object || !body.RootElement.TryGetProperty("is_open", out var isOpen)
                    || isOpen.ValueKind is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False or System.Text.Json.JsonValueKind.Null))
                {
                    return AlpacaError.BadRequest("is_open must be true, false or null");
                }

                market.IsOpen = isOpen.ValueKind == System.Text.Json.JsonValueKind.Null ? null : isOpen.GetBoolean();
                return Results.Json(new { is_open = market.IsOpen });
            }
            catch (System.Text.Json.JsonException)
            {
                return AlpacaError.BadRequest("request body format is invalid");
            }
        });
    }
}
