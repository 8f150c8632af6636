using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AlpacaConnect.Core.Signals;

/// <summary>
/// An alert body in TradersPost's vocabulary (what TradingView users paste) -> <see cref="SignalAlert"/>.
/// Lenient where alert templates vary (numbers as numbers or strings, words in any case, an
/// exchange prefix on the ticker, fields it does not know), strict where a wrong reading would
/// place a wrong order: every known field is checked and every problem is listed.
/// </summary>
public static partial class AlertParser
{
    public static readonly IReadOnlySet<string> Actions = new HashSet<string> { "buy", "sell", "exit", "cancel", "add" };
    public static readonly IReadOnlySet<string> Sentiments = new HashSet<string> { "long", "bullish", "short", "bearish", "flat" };
    public static readonly IReadOnlySet<string> QuantityTypes = new HashSet<string> { SubscriberSizing.FixedQuantity, SubscriberSizing.FixedNotional, SubscriberSizing.PercentOfEquity };
    public static readonly IReadOnlySet<string> OrderTypes = new HashSet<string> { "market", "limit", "stop", "stop_limit", "trailing_stop" };
    public static readonly IReadOnlySet<string> TimesInForce = new HashSet<string> { "day", "gtc", "opg", "cls", "ioc", "fok" };

    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 8 };

    public sealed record Parsed(SignalAlert? Alert, Dictionary<string, string[]> Errors, string? Passphrase, string RedactedBody);

    /// <summary>Null when the body is not a JSON object at all (<paramref name="syntaxError"/> says why).</summary>
    public static JsonDocument? TryReadDocument(byte[] body, out string? syntaxError)
    {
        syntaxError = null;
        try
        {
            var doc = JsonDocument.Parse(body, DocumentOptions);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
                return doc;
            doc.Dispose();
            syntaxError = "The body must be a JSON object (TradersPost's format: {\"ticker\":\"AAPL\",\"action\":\"buy\",...}).";
        }
        catch (JsonException ex)
        {
            syntaxError = "The body is not valid JSON: " + ex.Message;
        }
        return null;
    }

    /// <summary>The passphrase field, if the body has one as a string.</summary>
    public static string? Passphrase(JsonDocument doc) =>
        doc.RootElement.TryGetProperty("passphrase", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    public static Parsed Parse(JsonDocument doc, byte[] body)
    {
        var errors = new Dictionary<string, string[]>();
        var root = doc.RootElement;
        void Fail(string field, string message) => errors[field] = [message];

        var ticker = Word(root, "ticker", errors, upper: true);
        if (ticker is null && !errors.ContainsKey("ticker"))
            Fail("ticker", "Required: the symbol, e.g. \"AAPL\" ({{ticker}} in TradingView).");
        else if (ticker is not null)
        {
            // TradingView's {{exchange}}:{{ticker}} form; Alpaca wants the symbol alone.
            if (ticker.LastIndexOf(':') is var colon and >= 0)
                ticker = ticker[(colon + 1)..];
            if (!Symbol().IsMatch(ticker))
                Fail("ticker", "Must be a symbol of 1 to 21 letters, digits, '.', '/' or '-'.");
        }

        var action = Word(root, "action", errors);
        if (action is null && !errors.ContainsKey("action"))
            Fail("action", "Required: buy, sell, exit, cancel or add ({{strategy.order.action}} in TradingView).");
        else if (action is not null && !Actions.Contains(action))
            Fail("action", $"'{Short(action)}' is not one of buy, sell, exit, cancel, add.");

        var sentiment = OneOf(root, "sentiment", Sentiments, errors);
        var quantity = Positive(root, "quantity", errors);
        var quantityType = OneOf(root, "quantityType", QuantityTypes, errors);
        if (quantityType is not null && quantity is null && !errors.ContainsKey("quantity"))
            Fail("quantity", "Required when quantityType is given.");
        if (quantityType == SubscriberSizing.PercentOfEquity && quantity > 100)
            Fail("quantity", "A percent of equity is at most 100.");
        var price = Positive(root, "price", errors);
        var signalPrice = Positive(root, "signalPrice", errors) ?? price;
        var orderType = OneOf(root, "orderType", OrderTypes, errors);
        var limitPrice = Positive(root, "limitPrice", errors);
        var stopPrice = Positive(root, "stopPrice", errors);
        if (orderType is "limit" or "stop_limit" && limitPrice is null && signalPrice is null && !errors.ContainsKey("limitPrice"))
            Fail("limitPrice", $"A {orderType} order needs limitPrice (or price, the signal price, to limit at).");
        if (orderType is "stop" or "stop_limit" && stopPrice is null && !errors.ContainsKey("stopPrice"))
            Fail("stopPrice", $"A {orderType} order needs stopPrice.");
        var takeProfit = Offset(root, "takeProfit", "limitPrice", errors);
        var stopLoss = Offset(root, "stopLoss", "stopPrice", errors);
        var timeInForce = OneOf(root, "timeInForce", TimesInForce, errors);
        var extendedHours = Flag(root, "extendedHours", errors);
        var at = Time(root, errors);
        var id = Id(root, errors);

        var redacted = Redact(body);
        if (errors.Count > 0)
            return new Parsed(null, errors, Passphrase(doc), redacted);
        return new Parsed(new SignalAlert
        {
            Ticker = ticker!,
            Action = action!,
            Sentiment = sentiment,
            Quantity = quantity,
            QuantityType = quantityType,
            SignalPrice = signalPrice,
            OrderType = orderType,
            LimitPrice = limitPrice,
            StopPrice = stopPrice,
            TakeProfit = takeProfit,
            StopLoss = stopLoss,
            TimeInForce = timeInForce,
            ExtendedHours = extendedHours,
            Time = at,
            Id = id,
        }, errors, Passphrase(doc), redacted);
    }

    /// <summary>The body as text with the passphrase's value replaced, so the stored raw body holds no secret.</summary>
    public static string Redact(byte[] body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { AllowMultipleValues = false, MaxDepth = 8 });
        var cuts = new List<(int Start, int Length)>();
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("passphrase"u8) && reader.Read())
                {
                    var start = (int)reader.TokenStartIndex;
                    var length = reader.TokenType == JsonTokenType.String ? reader.ValueSpan.Length + 2 : reader.ValueSpan.Length;
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        reader.Skip();
                        length = (int)reader.BytesConsumed - start;
                    }
                    cuts.Add((start, length));
                }
            }
        }
        catch (JsonException)
        {
            // Only parsed bodies are stored; a body this reader cannot walk is not stored whole.
            return "";
        }
        var text = new StringBuilder();
        var at = 0;
        foreach (var (start, length) in cuts)
        {
            text.Append(Encoding.UTF8.GetString(body, at, start - at)).Append("\"[redacted]\"");
            at = start + length;
        }
        return text.Append(Encoding.UTF8.GetString(body, at, body.Length - at)).ToString();
    }

    private static string? Word(JsonElement root, string field, Dictionary<string, string[]> errors, bool upper = false)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.String)
        {
            errors[field] = ["Must be a string."];
            return null;
        }
        var text = value.GetString()!.Trim();
        if (text.Length == 0)
        {
            errors[field] = ["Must not be empty."];
            return null;
        }
        if (text.Contains("{{", StringComparison.Ordinal))
        {
            errors[field] = [$"'{Short(text)}' is a TradingView placeholder that was not filled in; check the alert's message."];
            return null;
        }
        return upper ? text.ToUpperInvariant() : text.ToLowerInvariant();
    }

    private static string? OneOf(JsonElement root, string field, IReadOnlySet<string> allowed, Dictionary<string, string[]> errors)
    {
        var word = Word(root, field, errors);
        if (word is not null && !allowed.Contains(word))
        {
            errors[field] = [$"'{Short(word)}' is not one of {string.Join(", ", allowed)}."];
            return null;
        }
        return word;
    }

    /// <summary>A positive decimal given as a number or a numeric string (templates quote {{close}} or not).</summary>
    private static decimal? Positive(JsonElement root, string field, Dictionary<string, string[]> errors, string? path = null)
    {
        path ??= field;
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        decimal number;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out number)) { }
        else if (value.ValueKind == JsonValueKind.String && decimal.TryParse(value.GetString()!.Trim(), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number)) { }
        else
        {
            errors[path] = [value.ValueKind == JsonValueKind.String && value.GetString()!.Contains("{{", StringComparison.Ordinal)
                ? "A TradingView placeholder that was not filled in; check the alert's message."
                : "Must be a number (or a string holding one), such as 187.25."];
            return null;
        }
        if (number <= 0 || number > 1_000_000_000m)
        {
            errors[path] = ["Must be greater than 0 and at most 1000000000."];
            return null;
        }
        return number;
    }

    private static PriceOffset? Offset(JsonElement root, string field, string priceField, Dictionary<string, string[]> errors)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors[field] = [$"Must be an object with one of {priceField}, percent or amount."];
            return null;
        }
        var before = errors.Count;
        var offset = new PriceOffset
        {
            Price = Positive(value, priceField, errors, $"{field}.{priceField}"),
            Percent = Positive(value, "percent", errors, $"{field}.percent"),
            Amount = Positive(value, "amount", errors, $"{field}.amount"),
        };
        if (errors.Count > before)
            return null;
        var given = new[] { offset.Price, offset.Percent, offset.Amount }.Count(v => v is not null);
        if (given != 1)
        {
            errors[field] = [$"Give exactly one of {priceField}, percent or amount."];
            return null;
        }
        if (offset.Percent >= 100)
        {
            errors[$"{field}.percent"] = ["Must be less than 100."];
            return null;
        }
        return offset;
    }

    private static bool? Flag(JsonElement root, string field, Dictionary<string, string[]> errors)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        switch (value.ValueKind)
        {
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.String when bool.TryParse(value.GetString(), out var flag): return flag;
            default:
                errors[field] = ["Must be true or false."];
                return null;
        }
    }

    /// <summary>ISO 8601 (TradingView's {{timenow}}: 2025-01-15T14:30:05Z) or unix seconds or milliseconds.</summary>
    private static DateTimeOffset? Time(JsonElement root, Dictionary<string, string[]> errors)
    {
        if (!root.TryGetProperty("time", out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) && value.GetString()!.Length >= 10)
            return at;
        var unix = value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            _ => (long?)null,
        };
        // Seconds up to the year 5138; larger values are milliseconds (what Pine's timenow gives).
        if (unix is > 0 and < 100_000_000_000)
            return DateTimeOffset.FromUnixTimeSeconds(unix.Value);
        if (unix is >= 100_000_000_000 and < 100_000_000_000_000)
            return DateTimeOffset.FromUnixTimeMilliseconds(unix.Value);
        errors["time"] = ["Must be an ISO 8601 time (2025-01-15T14:30:05Z, TradingView's {{timenow}}) or unix seconds or milliseconds."];
        return null;
    }

    private static string? Id(JsonElement root, Dictionary<string, string[]> errors)
    {
        if (!root.TryGetProperty("id", out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        var id = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!.Trim(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        if (id is null or { Length: 0 or > 256 })
        {
            errors["id"] = ["Must be a string or number of 1 to 256 characters."];
            return null;
        }
        return id;
    }

    private static string Short(string text) => text.Length <= 32 ? text : text[..32] + "...";

    [GeneratedRegex(@"^[A-Z0-9./\-]{1,21}$")]
    private static partial Regex Symbol();
}
