using System.Text;
using System.Text.Json.Nodes;

namespace AlpacaConnect.IntegrationTests.Signals;

/// <summary>Alert bodies generated from a seed: valid TradersPost alerts, and the same mangled every way a template or a stranger can.</summary>
public static class AlertFuzz
{
    private static readonly string[] Fields = ["ticker", "action", "sentiment", "quantity", "quantityType", "price", "signalPrice", "orderType", "limitPrice",
        "stopPrice", "takeProfit", "stopLoss", "timeInForce", "extendedHours", "time", "id"];

    private static readonly Func<Random, JsonNode?>[] Values =
    [
        _ => null, _ => true, _ => 0, _ => -1, r => r.Next(), _ => 1e300, _ => "", _ => "{{close}}", _ => "NaN", _ => "buy", _ => "sell", _ => "exit",
        _ => "AAPL", _ => "NASDAQ:MSFT", _ => "market", _ => "limit", _ => "gtc", _ => "percent_of_equity", _ => "2026-12-02T05:00:00Z", _ => "12.5",
        r => new string((char)r.Next(0x20, 0x2FF), r.Next(1, 40)), _ => new JsonArray(1, "a"), _ => new JsonObject { ["percent"] = 5 },
        _ => new JsonObject { ["limitPrice"] = "x", ["amount"] = 2 }, _ => new JsonObject { ["nested"] = new JsonObject { ["deeper"] = new JsonArray() } },
        _ => "\u0000\ud7ff", _ => 1234567890123,
    ];

    public static IEnumerable<(string Body, string ContentType)> Bodies(Random random, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var alert = new JsonObject { ["ticker"] = "AAPL", ["action"] = random.Next(2) == 0 ? "buy" : "sell", ["quantity"] = random.Next(1, 10), ["id"] = $"fuzz-{i}" };
            var contentType = random.Next(3) switch { 0 => "application/json", 1 => "text/plain", _ => "application/x-www-form-urlencoded" };
            switch (random.Next(6))
            {
                case 0: // valid
                    if (random.Next(2) == 0)
                        alert["price"] = Math.Round(random.NextDouble() * 500 + 1, 2);
                    break;
                case 1: // one to three fields set to anything
                    for (var n = random.Next(1, 4); n > 0; n--)
                        alert[Fields[random.Next(Fields.Length)]] = Values[random.Next(Values.Length)](random)?.DeepClone();
                    break;
                case 2: // fields removed
                    alert.Remove(Fields[random.Next(2)]);
                    break;
                case 3: // text cut short or garbled
                    var text = alert.ToJsonString();
                    yield return (random.Next(2) == 0 ? text[..random.Next(text.Length)] : Garble(random, text), contentType);
                    continue;
                case 4: // not an object
                    yield return (random.Next(4) switch { 0 => "[]", 1 => "\"buy\"", 2 => "null", _ => "ticker=AAPL&action=buy" }, contentType);
                    continue;
                default: // random bytes as text
                    var bytes = new byte[random.Next(1, 200)];
                    random.NextBytes(bytes);
                    yield return (Encoding.Latin1.GetString(bytes), contentType);
                    continue;
            }
            yield return (alert.ToJsonString(), contentType);
        }
    }

    private const string Garbage = "{}[]\",:\\x";

    private static string Garble(Random random, string text)
    {
        var chars = text.ToCharArray();
        for (var n = random.Next(1, 4); n > 0; n--)
            chars[random.Next(chars.Length)] = Garbage[random.Next(Garbage.Length)];
        return new string(chars);
    }
}
