namespace AlpacaConnect.Sandbox.Http;

/// <summary>Alpaca's error body: <c>{"code":&lt;number&gt;,"message":"..."}</c>, sometimes with extra fields.</summary>
internal static class AlpacaError
{
    public const int InvalidRequest = 40010000;
    public const int Unprocessable = 40010001;
    public const int Unauthorized = 40110000;
    public const int Forbidden = 40310000;
    public const int NotFound = 40410000;
    public const int NotCancelable = 42210000;
    public const int RateLimited = 42910000;
    public const int Internal = 50010000;

    public static IResult Json(int status, int code, string message, IReadOnlyDictionary<string, object?>? extra = null)
    {
        var body = new Dictionary<string, object?> { ["code"] = code, ["message"] = message };
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                body[key] = value;
            }
        }

        return Results.Json(body, statusCode: status);
    }

    public static IResult NotAuthorized() => Json(401, Unauthorized, "request is not authorized");

    public static IResult WrongScope() => Json(401, Unauthorized, "access token is not authorized for this scope");

    public static IResult Invalid(string message) => Json(422, Unprocessable, message);

    public static IResult BadRequest(string message) => Json(400, InvalidRequest, message);

    public static IResult Missing(string message) => Json(404, NotFound, message);
}
