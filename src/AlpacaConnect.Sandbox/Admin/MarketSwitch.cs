using AlpacaConnect.Sandbox.Http;

namespace AlpacaConnect.Sandbox.Admin;

/// <summary>
/// Holds the market open or closed from a test, whatever the hour: what GET /v2/clock reports and
/// whether orders fill. Null (the start) leaves it to the Sandbox's sessions and MarketAlwaysOpen.
/// Holidays are days (New York dates) without a session: GET /v2/calendar leaves them out, and the
/// clock's next_open / next_close skip them, as Alpaca's do for exchange holidays.
/// </summary>
internal sealed class MarketSwitch
{
    private volatile object? _isOpen;
    private volatile IReadOnlySet<DateOnly> _holidays = new HashSet<DateOnly>();

    public IReadOnlySet<DateOnly> Holidays
    {
        get => _holidays;
        set => _holidays = value;
    }

    public bool? IsOpen
    {
        get => (bool?)_isOpen;
        set => _isOpen = value;
    }
}

/// <summary>
/// PUT /sandbox/admin/market {"is_open": true|false|null, "holidays": ["2026-12-24", ...]}: the switch
/// above and the holidays (each field optional; holidays replace the set); GET shows both.
/// </summary>
internal static class MarketAdminEndpoints
{
    public static void MapMarketAdmin(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sandbox/admin/market", (MarketSwitch market) => Show(market));
        app.MapPut("/sandbox/admin/market", async (HttpContext http, MarketSwitch market) =>
        {
            try
            {
                using var body = await System.Text.Json.JsonDocument.ParseAsync(http.Request.Body);
                if (body.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
                {
                    return AlpacaError.BadRequest("is_open must be true, false or null");
                }

                var hasOpen = body.RootElement.TryGetProperty("is_open", out var isOpen);
                var hasHolidays = body.RootElement.TryGetProperty("holidays", out var holidays);
                if ((!hasOpen && !hasHolidays)
                    || (hasOpen && isOpen.ValueKind is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False or System.Text.Json.JsonValueKind.Null)))
                {
                    return AlpacaError.BadRequest("is_open must be true, false or null");
                }

                var days = new HashSet<DateOnly>();
                if (hasHolidays)
                {
                    if (holidays.ValueKind != System.Text.Json.JsonValueKind.Array)
                    {
                        return AlpacaError.BadRequest("holidays must be an array of YYYY-MM-DD dates");
                    }

                    foreach (var day in holidays.EnumerateArray())
                    {
                        if (day.ValueKind != System.Text.Json.JsonValueKind.String
                            || !DateOnly.TryParseExact(day.GetString(), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date))
                        {
                            return AlpacaError.BadRequest("holidays must be an array of YYYY-MM-DD dates");
                        }

                        days.Add(date);
                    }
                }

                if (hasOpen)
                {
                    market.IsOpen = isOpen.ValueKind == System.Text.Json.JsonValueKind.Null ? null : isOpen.GetBoolean();
                }

                if (hasHolidays)
                {
                    market.Holidays = days;
                }

                return Show(market);
            }
            catch (System.Text.Json.JsonException)
            {
                return AlpacaError.BadRequest("request body format is invalid");
            }
        });
    }

    private static IResult Show(MarketSwitch market) =>
        Results.Json(new { is_open = market.IsOpen, holidays = market.Holidays.Order().Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)) });
}
