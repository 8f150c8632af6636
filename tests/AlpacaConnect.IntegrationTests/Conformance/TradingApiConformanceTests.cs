using System.Globalization;
using System.Linq.Expressions;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Sandbox;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace AlpacaConnect.IntegrationTests.Conformance;

/// <summary>
/// Proves against Alpaca's own OpenAPI spec that (a) every request <see cref="AlpacaTradingClient"/> sends and
/// (b) every response the Sandbox returns to it fit the spec's schemas: request bodies, path and query parameters,
/// 2xx bodies per operation and status, and the error shape of 4xx answers.
/// </summary>
public sealed class TradingApiConformanceTests(ConformanceFixture fixture, ITestOutputHelper output) : IClassFixture<ConformanceFixture>
{
    private static readonly IReadOnlyDictionary<string, Func<ConformanceSession, Task>> Families = new Dictionary<string, Func<ConformanceSession, Task>>(StringComparer.Ordinal)
    {
        ["account"] = AccountFamily,
        ["clock"] = ClockFamily,
        ["calendar"] = CalendarFamily,
        ["assets"] = AssetsFamily,
        ["orders-create"] = CreateOrdersFamily,
        ["orders-read"] = ReadOrdersFamily,
        ["orders-cancel"] = CancelOrdersFamily,
        ["positions"] = PositionsFamily,
    };

    public static TheoryData<string> CallFamilies => new(Families.Keys);

    private OpenApiSpec Spec => fixture.Spec;

    [Theory]
    [MemberData(nameof(CallFamilies))]
    public async Task Requests_and_responses_of_a_call_family_conform_to_the_spec(string family)
    {
        using var session = await fixture.NewSessionAsync(family);
        await Families[family](session);

        var report = ConformanceReport.Check(Spec, session.Recorder.Exchanges);
        output.WriteLine(report.Summary());
        Assert.NotEmpty(report.Checked);
        Assert.True(report.Problems.Count == 0, report.Describe());
    }

    [Fact]
    public async Task Every_public_client_method_is_exercised_against_a_spec_operation()
    {
        var publicMethods = typeof(AlpacaTradingClient)
            .GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal))
            .Select(m => m.Name)
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(publicMethods);

        var exercised = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (family, run) in Families)
        {
            using var session = await fixture.NewSessionAsync("coverage-" + family);
            await run(session);
            foreach (var invocation in session.Invocations)
            {
                foreach (var exchange in invocation.Exchanges)
                {
                    var operation = Spec.FindOperation(exchange.Method.Method, OpenApiSpec.StripEnvPrefix(exchange.Path));
                    Assert.True(operation is not null, $"{invocation.Method} sent {exchange}, which matches no operation of the spec.");
                    if (!exercised.TryGetValue(invocation.Method, out var seen))
                    {
                        exercised[invocation.Method] = seen = new SortedSet<string>(StringComparer.Ordinal);
                    }

                    seen.Add($"{operation.OperationId} {exchange.Status}");
                }
            }
        }

        foreach (var (method, operations) in exercised)
        {
            output.WriteLine($"{method}: {string.Join(", ", operations)}");
        }

        var missing = publicMethods.Where(m => !exercised.ContainsKey(m)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0,
            $"Public AlpacaTradingClient methods without conformance coverage: {string.Join(", ", missing)}. " +
            $"Call them in a family of {nameof(TradingApiConformanceTests)} (through ConformanceSession.Call).");
    }

    [Fact]
    public void The_vendored_spec_is_the_recorded_version()
    {
        var path = OpenApiSpec.Locate();
        Assert.StartsWith(AppContext.BaseDirectory, path, StringComparison.Ordinal);
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        Assert.Equal(OpenApiSpec.VendoredSha256, sha256);
        Assert.True(Spec.Operations.Count > 20, $"Only {Spec.Operations.Count} operations were read from {path}.");
    }

    [Theory]
    [InlineData("GET", "/paper/v2/account", "getAccount")]
    [InlineData("POST", "/paper/v2/orders", "postOrder")]
    [InlineData("GET", "/live/v2/orders", "getAllOrders")]
    [InlineData("GET", "/paper/v2/orders/61e69015-8549-4bfd-b9c3-01e75843f47d", "getOrderByOrderID")]
    [InlineData("DELETE", "/paper/v2/orders/61e69015-8549-4bfd-b9c3-01e75843f47d", "deleteOrderByOrderID")]
    [InlineData("GET", "/paper/v2/orders:by_client_order_id", "getOrderByClientOrderId")]
    [InlineData("GET", "/paper/v2/positions/BRK.B", "getOpenPosition")]
    [InlineData("DELETE", "/paper/v2/positions/AAPL", "deleteOpenPosition")]
    [InlineData("GET", "/paper/v2/assets/AAPL", "get-v2-assets-symbol_or_asset_id")]
    [InlineData("GET", "/paper/v2/clock", "LegacyClock")]
    [InlineData("GET", "/paper/v2/calendar", "LegacyCalendar")]
    public void Concrete_paths_match_their_spec_templates(string method, string path, string operationId)
    {
        var operation = Spec.FindOperation(method, OpenApiSpec.StripEnvPrefix(path));
        Assert.NotNull(operation);
        Assert.Equal(operationId, operation.OperationId);
    }

    [Theory]
    [InlineData("GET", "/paper/v2/nothing-here")]
    [InlineData("PUT", "/paper/v2/orders")]
    [InlineData("GET", "/paper/v2/orders/a/b")]
    public void Paths_the_spec_does_not_have_match_nothing(string method, string path) =>
        Assert.Null(Spec.FindOperation(method, OpenApiSpec.StripEnvPrefix(path)));

    [Theory]
    [InlineData("""{"symbol":"AAPL","qty":5,"side":"buy","type":"market","time_in_force":"day"}""", "/qty", "type")]
    [InlineData("""{"symbol":"AAPL","qty":"5","side":"buy"}""", "", "required")]
    [InlineData("""{"symbol":"AAPL","qty":"5","side":"hold","type":"market","time_in_force":"day"}""", "/side", "enum")]
    [InlineData("""{"symbol":"AAPL","qty":"5","side":"buy","type":"market","time_in_force":"day","extended_hours":"yes"}""", "/extended_hours", "type")]
    [InlineData("""{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"day","order_class":"bracket","take_profit":{"limit_price":120}}""", "/take_profit/limit_price", "type")]
    public void The_validator_rejects_a_wrong_order_request(string body, string instanceLocation, string keyword)
    {
        var schema = Spec.RequestBody(Spec.GetOperation("postOrder")).Schema;
        Assert.NotNull(schema);
        Assert.Empty(OpenApiSpec.Validate(schema, Json("""{"symbol":"AAPL","qty":"5","side":"buy","type":"market","time_in_force":"day"}""")));

        var violations = OpenApiSpec.Validate(schema, Json(body));
        Assert.True(violations.Any(v => v.InstanceLocation == instanceLocation && v.Keyword == keyword),
            $"Expected a '{keyword}' violation at '{instanceLocation}', got: {string.Join("; ", violations)}");
    }

    [Fact]
    public void The_validator_accepts_alpacas_own_order_example_and_rejects_broken_copies()
    {
        var schema = Spec.Response(Spec.GetOperation("getOrderByOrderID"), 200).Schema;
        Assert.NotNull(schema);
        var example = SpecExample("EquityOrderResponse");

        // Alpaca's example has null timestamps and prices: nullable is honoured.
        var valid = OpenApiSpec.Validate(schema, JsonSerializer.SerializeToElement(example));
        Assert.True(valid.Count == 0, string.Join("; ", valid));

        AssertRejected(schema, Mutate(example, o => o["status"] = "bogus"), "/status", "enum");
        AssertRejected(schema, Mutate(example, o => o["symbol"] = null), "/symbol", "type");
        AssertRejected(schema, Mutate(example, o => o["qty"] = 2), "/qty", "type");
        AssertRejected(schema, Mutate(example, o => o["created_at"] = "yesterday"), "/created_at", "format");
        AssertRejected(schema, Mutate(example, o => o["id"] = "not-a-uuid"), "/id", "format");
        AssertRejected(schema, Mutate(example, o => o.Remove("time_in_force")), "", "required");
        AssertRejected(schema, Mutate(example, o => o["legs"] = new JsonArray(new JsonObject { ["symbol"] = "AAPL" })), "/legs/0", "required");
    }

    [Fact]
    public void The_error_shape_requires_a_numeric_code_and_a_message()
    {
        var shape = Spec.AlpacaErrorShape;
        Assert.Empty(OpenApiSpec.Validate(shape, Json("""{"code":40310000,"message":"insufficient buying power","buying_power":"10.00"}""")));
        AssertRejected(shape, Json("""{"message":"forbidden."}"""), "", "required");
        AssertRejected(shape, Json("""{"code":"40010001","message":"invalid"}"""), "/code", "type");
        AssertRejected(shape, Json("""{"code":40010001,"message":""}"""), "/message", "minLength");
    }

    [Fact]
    public void The_report_flags_a_wrong_request_a_wrong_response_and_an_undeclared_status()
    {
        var order = SpecExample("EquityOrderResponse");
        order["status"] = "bogus";
        var exchanges = new[]
        {
            new RecordedExchange(HttpMethod.Post, new Uri("http://sandbox.invalid/paper/v2/orders"), "application/json",
                """{"symbol":"AAPL","qty":5,"side":"buy","type":"limit","time_in_force":"day","limitPrice":"90","take_profit":{"limitPrice":"99"}}""",
                200, "application/json", order.ToJsonString()),
            new RecordedExchange(HttpMethod.Delete, new Uri("http://sandbox.invalid/paper/v2/orders/61e69015-8549-4bfd-b9c3-01e75843f47d"), null, null,
                200, "application/json", "{}"),
            new RecordedExchange(HttpMethod.Get, new Uri("http://sandbox.invalid/paper/v2/orders?limit=ten&colour=red"), null, null,
                200, "application/json", "[]"),
            new RecordedExchange(HttpMethod.Get, new Uri("http://sandbox.invalid/paper/v2/assets/NOPE"), null, null,
                404, "application/json", """{"message":"not found"}"""),
        };

        var report = ConformanceReport.Check(Spec, exchanges);
        var text = report.Describe();
        Assert.Contains("request body", text, StringComparison.Ordinal);
        Assert.Contains("/qty", text, StringComparison.Ordinal);
        Assert.Contains("/limitPrice: member is not declared", text, StringComparison.Ordinal);
        Assert.Contains("/take_profit/limitPrice: member is not declared", text, StringComparison.Ordinal);
        Assert.Contains("/status", text, StringComparison.Ordinal);
        Assert.Contains("status 200 is not declared", text, StringComparison.Ordinal);
        Assert.Contains("query parameter limit", text, StringComparison.Ordinal);
        Assert.Contains("query parameter colour", text, StringComparison.Ordinal);
        Assert.Contains("error body", text, StringComparison.Ordinal);
        Assert.Equal(4, report.Problems.Select(p => p.Exchange).Distinct().Count());
    }

    // ---- call families -------------------------------------------------------------------------------------------

    private static async Task AccountFamily(ConformanceSession s)
    {
        var account = Ok(await s.Call(c => c.GetAccountAsync(AlpacaEnv.Paper, s.Token, s.Ct)), "account");
        Assert.Equal("ACTIVE", account.Status);

        var stranger = new AccessToken("not-a-token-the-sandbox-issued");
        Refused(await s.Call(c => c.GetAccountAsync(AlpacaEnv.Paper, stranger, s.Ct)), 401, "account with an unknown token");

        // The paper token on the live host: Alpaca's "access token is not authorized for this scope".
        Refused(await s.Call(c => c.GetAccountAsync(AlpacaEnv.Live, s.Token, s.Ct)), 401, "paper token on the live host");
    }

    private static async Task ClockFamily(ConformanceSession s)
    {
        var clock = Ok(await s.Call(c => c.GetClockAsync(AlpacaEnv.Paper, s.Token, s.Ct)), "clock");
        Assert.True(clock.NextClose > clock.Timestamp);
    }

    private static async Task CalendarFamily(ConformanceSession s)
    {
        // 2025-06-23 is a Monday: one week is five trading days, each settling the next.
        var days = Ok(await s.Call(c => c.GetCalendarAsync(AlpacaEnv.Paper, s.Token, new DateOnly(2025, 6, 23), new DateOnly(2025, 6, 29), s.Ct)), "calendar");
        Assert.Equal(5, days.Count);
        Assert.Equal(new DateOnly(2025, 6, 24), days[0].SettlementDate);
    }

    private static async Task AssetsFamily(ConformanceSession s)
    {
        Ok(await s.Call(c => c.GetAssetAsync(AlpacaEnv.Paper, s.Token, "AAPL", s.Ct)), "asset AAPL");
        Ok(await s.Call(c => c.GetAssetAsync(AlpacaEnv.Paper, s.Token, "BRK.B", s.Ct)), "asset BRK.B");
        var halted = Ok(await s.Call(c => c.GetAssetAsync(AlpacaEnv.Paper, s.Token, "HALT", s.Ct)), "asset HALT");
        Assert.False(halted.Tradable);
        var byId = Ok(await s.Call(c => c.GetAssetAsync(AlpacaEnv.Paper, s.Token, "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", s.Ct)), "asset by id");
        Assert.Equal("AAPL", byId.Symbol);
        Refused(await s.Call(c => c.GetAssetAsync(AlpacaEnv.Paper, s.Token, "NOPE", s.Ct)), 404, "unknown asset");
    }

    private static async Task CreateOrdersFamily(ConformanceSession s)
    {
        // AAPL is pinned at 100 by the fixture.
        var marketQty = await s.PlaceAsync(new AlpacaOrderRequest
        {
            Symbol = "AAPL", Qty = "10", Side = "buy", Type = "market", TimeInForce = "day", ClientOrderId = s.NewClientOrderId(),
        });
        Assert.Equal("filled", marketQty.Status);

        await s.PlaceAsync(new AlpacaOrderRequest { Symbol = "AAPL", Notional = "150", Side = "buy", Type = "market", TimeInForce = "day" });
        await s.PlaceAsync(new AlpacaOrderRequest { Symbol = "AAPL", Qty = "0.5", Side = "buy", Type = "market", TimeInForce = "day", OrderClass = "simple" });
        await s.PlaceAsync(new AlpacaOrderRequest
        {
            Symbol = "AAPL", Qty = "1", Side = "buy", Type = "limit", TimeInForce = "gtc", LimitPrice = "90", ExtendedHours = true,
            PositionIntent = "buy_to_open", ClientOrderId = s.NewClientOrderId(),
        });
        await s.PlaceAsync(new AlpacaOrderRequest { Symbol = "AAPL", Qty = "1", Side = "buy", Type = "limit", TimeInForce = "ioc", LimitPrice = "90" });
        await s.PlaceAsync(new AlpacaOrderRequest { Symbol = "AAPL", Qty = "1", Side = "buy", Type = "limit", TimeInForce = "fok", LimitPrice = "101" });
        await s.PlaceAsync(new AlpacaOrderRequest { Symbol = "AAPL", Qty = "1", Side = "buy", Type = "stop", TimeInForce = "day", StopPrice = "110" });
        await s.PlaceAsync(new AlpacaOrderRequest
        {
            Symbol = "AAPL", Qty = "1", Side = "buy", Type = "stop_limit", TimeInForce = "gtc", StopPrice = "110", LimitPrice = "111",
        });
        var trailPercent = await s.PlaceAsync(new AlpacaOrderRequest
        {
            Symbol = "AAPL", Qty = "1", Side = "sell", Type = "trailing_stop", TimeInForce = "day", TrailPercent = "5",
        });
        Assert.NotNull(trailPercent.Hwm);
        await s.PlaceAsync(new AlpacaOrderRequest { Symbol = "AAPL", Qty = "1", Side = "sell", Type = "trailing_stop", TimeInForce = "gtc", TrailPrice = "2.5" });

        var bracketMarket = await s.PlaceAsync(new AlpacaOrderRequest
        {
            Symbol = "AAPL", Qty = "1", Side = "buy", Type = "market", TimeInForce = "day", OrderClass = "bracket",
            TakeProfit = new AlpacaTakeProfit { LimitPrice = "120" },
            StopLoss = new AlpacaStopLoss { StopPrice = "90", LimitPrice = "89" },
        });
        Assert.Equal(2, bracketMarket.Legs?.Count);
        var bracketLimit = await s.PlaceAsync(new AlpacaOrderRequest
        {
            Symbol = "AAPL", Qty = "1", Side = "buy", Type = "limit", TimeInForce = "gtc", LimitPrice = "95", OrderClass = "bracket",
            TakeProfit = new AlpacaTakeProfit { LimitPrice = "120" }, StopLoss = new AlpacaStopLoss { StopPrice = "90" },
        });
        Assert.Equal(2, bracketLimit.Legs?.Count);
        var oto = await s.PlaceAsync(new AlpacaOrderRequest
        {
            Symbol = "AAPL", Qty = "1", Side = "buy", Type = "limit", TimeInForce = "day", LimitPrice = "95", OrderClass = "oto",
            TakeProfit = new AlpacaTakeProfit { LimitPrice = "120" },
        });
        Assert.Equal(1, oto.Legs?.Count);
        var oco = await s.PlaceAsync(new AlpacaOrderRequest
        {
            Symbol = "AAPL", Qty = "1", Side = "sell", Type = "limit", TimeInForce = "gtc", OrderClass = "oco",
            TakeProfit = new AlpacaTakeProfit { LimitPrice = "120" }, StopLoss = new AlpacaStopLoss { StopPrice = "90", LimitPrice = "89" },
        });
        Assert.Equal(1, oco.Legs?.Count);

        // Refusals: 422 invalid input, 422 reused client_order_id, 403 insufficient buying power.
        var both = new AlpacaOrderRequest { Symbol = "AAPL", Qty = "1", Notional = "100", Side = "buy", Type = "market", TimeInForce = "day" };
        Refused(await s.Call(c => c.CreateOrderAsync(AlpacaEnv.Paper, s.Token, both, s.Ct)), 422, "qty and notional");
        var reused = new AlpacaOrderRequest
        {
            Symbol = "AAPL", Qty = "1", Side = "buy", Type = "market", TimeInForce = "day", ClientOrderId = marketQty.ClientOrderId,
        };
        var duplicate = Refused(await s.Call(c => c.CreateOrderAsync(AlpacaEnv.Paper, s.Token, reused, s.Ct)), 422, "reused client_order_id");
        Assert.Equal(40010001, duplicate.Code);
        var tooExpensive = new AlpacaOrderRequest { Symbol = "BRK.A", Qty = "1", Side = "buy", Type = "market", TimeInForce = "day" };
        var poor = Refused(await s.Call(c => c.CreateOrderAsync(AlpacaEnv.Paper, s.Token, tooExpensive, s.Ct)), 403, "insufficient buying power");
        Assert.Equal(40310000, poor.Code);
    }

    private static async Task ReadOrdersFamily(ConformanceSession s)
    {
        var clientOrderId = s.NewClientOrderId();
        var limit = await s.PlaceAsync(new AlpacaOrderRequest
        {
            Symbol = "AAPL", Qty = "1", Side = "buy", Type = "limit", TimeInForce = "gtc", LimitPrice = "90", ClientOrderId = clientOrderId,
        });
        var bracket = await s.PlaceAsync(new AlpacaOrderRequest
        {
            Symbol = "MSFT", Qty = "1", Side = "buy", Type = "market", TimeInForce = "day", OrderClass = "bracket",
            TakeProfit = new AlpacaTakeProfit { LimitPrice = "480" }, StopLoss = new AlpacaStopLoss { StopPrice = "350" },
        });

        Ok(await s.Call(c => c.GetOrderAsync(AlpacaEnv.Paper, s.Token, limit.Id, s.Ct)), "order by id");
        var nested = Ok(await s.Call(c => c.GetOrderAsync(AlpacaEnv.Paper, s.Token, bracket.Id, s.Ct)), "bracket by id");
        Assert.Equal(2, nested.Legs?.Count);
        var unknownId = Guid.NewGuid().ToString();
        Refused(await s.Call(c => c.GetOrderAsync(AlpacaEnv.Paper, s.Token, unknownId, s.Ct)), 404, "unknown order id");

        var byClientId = Ok(await s.Call(c => c.GetOrderByClientOrderIdAsync(AlpacaEnv.Paper, s.Token, clientOrderId, s.Ct)), "order by client_order_id");
        Assert.Equal(limit.Id, byClientId.Id);
        var unknownClientId = s.NewClientOrderId();
        Refused(await s.Call(c => c.GetOrderByClientOrderIdAsync(AlpacaEnv.Paper, s.Token, unknownClientId, s.Ct)), 404, "unknown client_order_id");

        string[] symbols = ["AAPL", "MSFT"];
        var now = DateTimeOffset.UtcNow;
        AlpacaOrderQuery[] queries =
        [
            new(),
            new() { Status = "all", Limit = 500, Direction = "asc", Nested = true },
            new() { Status = "closed", Limit = 1 },
            new() { Status = "all", After = now.AddHours(-1), Until = now.AddHours(1), Symbols = symbols, Nested = true },
            new() { Status = "open", Symbols = ["AAPL"] },
        ];
        foreach (var query in queries)
        {
            Ok(await s.Call(c => c.ListOrdersAsync(AlpacaEnv.Paper, s.Token, query, s.Ct)), $"list orders {query}");
        }

        var tooMany = new AlpacaOrderQuery { Limit = 501 };
        Refused(await s.Call(c => c.ListOrdersAsync(AlpacaEnv.Paper, s.Token, tooMany, s.Ct)), 422, "limit above 500");
    }

    private static async Task CancelOrdersFamily(ConformanceSession s)
    {
        var order = await s.PlaceAsync(new AlpacaOrderRequest { Symbol = "AAPL", Qty = "1", Side = "buy", Type = "limit", TimeInForce = "day", LimitPrice = "90" });
        Ok(await s.Call(c => c.CancelOrderAsync(AlpacaEnv.Paper, s.Token, order.Id, s.Ct)), "cancel");
        Refused(await s.Call(c => c.CancelOrderAsync(AlpacaEnv.Paper, s.Token, order.Id, s.Ct)), 422, "cancel a canceled order");
        var unknownId = Guid.NewGuid().ToString();
        Refused(await s.Call(c => c.CancelOrderAsync(AlpacaEnv.Paper, s.Token, unknownId, s.Ct)), 404, "cancel an unknown order");
        var canceled = Ok(await s.Call(c => c.GetOrderAsync(AlpacaEnv.Paper, s.Token, order.Id, s.Ct)), "canceled order");
        Assert.Equal("canceled", canceled.Status);
    }

    private static async Task PositionsFamily(ConformanceSession s)
    {
        var none = Ok(await s.Call(c => c.ListPositionsAsync(AlpacaEnv.Paper, s.Token, s.Ct)), "no positions");
        Assert.Empty(none);

        await s.PlaceAsync(new AlpacaOrderRequest { Symbol = "AAPL", Qty = "3", Side = "buy", Type = "market", TimeInForce = "day" });
        await s.PlaceAsync(new AlpacaOrderRequest { Symbol = "MSFT", Notional = "100", Side = "buy", Type = "market", TimeInForce = "day" });

        var positions = Ok(await s.Call(c => c.ListPositionsAsync(AlpacaEnv.Paper, s.Token, s.Ct)), "positions");
        Assert.Equal(2, positions.Count);
        Ok(await s.Call(c => c.GetPositionAsync(AlpacaEnv.Paper, s.Token, "AAPL", s.Ct)), "position AAPL");
        Ok(await s.Call(c => c.GetPositionAsync(AlpacaEnv.Paper, s.Token, "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", s.Ct)), "position by asset id");
        Refused(await s.Call(c => c.GetPositionAsync(AlpacaEnv.Paper, s.Token, "GOOGL", s.Ct)), 404, "position not held");

        var close = Ok(await s.Call(c => c.ClosePositionAsync(AlpacaEnv.Paper, s.Token, "AAPL", s.Ct)), "close AAPL");
        Assert.Equal("sell", close.Side);
        Ok(await s.Call(c => c.ClosePositionAsync(AlpacaEnv.Paper, s.Token, "MSFT", s.Ct)), "close fractional MSFT");
        Refused(await s.Call(c => c.ClosePositionAsync(AlpacaEnv.Paper, s.Token, "GOOGL", s.Ct)), 404, "close a position not held");
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    internal static T Ok<T>(AlpacaResult<T> result, string what)
    {
        Assert.True(result.IsSuccess, $"{what}: expected success, got {result.Error}");
        return result.Value!;
    }

    internal static AlpacaError Refused<T>(AlpacaResult<T> result, int status, string what)
    {
        Assert.False(result.IsSuccess, $"{what}: expected HTTP {status}, got success");
        Assert.True(result.Error!.Status == status, $"{what}: expected HTTP {status}, got {result.Error}");
        return result.Error;
    }

    private static JsonElement Json(string text) => JsonSerializer.SerializeToElement(JsonNode.Parse(text));

    private JsonObject SpecExample(string name)
    {
        var spec = JsonNode.Parse(File.ReadAllText(Spec.SourcePath))!;
        return spec["components"]!["examples"]![name]!["value"]!.DeepClone().AsObject();
    }

    private static JsonElement Mutate(JsonObject source, Action<JsonObject> change)
    {
        var copy = source.DeepClone().AsObject();
        change(copy);
        return JsonSerializer.SerializeToElement(copy);
    }

    private static void AssertRejected(Json.Schema.JsonSchema schema, JsonElement instance, string pointer, string keyword)
    {
        var violations = OpenApiSpec.Validate(schema, instance);
        Assert.True(violations.Any(v => v.InstanceLocation == pointer && v.Keyword == keyword),
            $"Expected a '{keyword}' violation at '{pointer}' for {instance}, got: {(violations.Count == 0 ? "valid" : string.Join("; ", violations))}");
    }
}

/// <summary>One in-process Sandbox and the parsed spec for all conformance tests; AAPL and MSFT prices pinned.</summary>
public sealed class ConformanceFixture : IAsyncLifetime
{
    public const string ClientId = "sandbox-client-id";
    public const string ClientSecret = "sandbox-client-secret";
    public const string RedirectUri = "http://localhost:7071/api/oauth/callback";

    private HttpClient _http = null!;

    public SandboxHost Sandbox { get; private set; } = null!;

    public OpenApiSpec Spec { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Spec = OpenApiSpec.Load();
        Sandbox = await SandboxHost.StartAsync(o =>
        {
            o.MarketAlwaysOpen = true;
            o.ErrorRate = 0;
            o.TimeoutRate = 0;
            o.LatencyMs = 0;
        });
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = Sandbox.BaseAddress };
        foreach (var (symbol, price) in new[] { ("AAPL", 100m), ("MSFT", 400m) })
        {
            using var pinned = await _http.PutAsJsonAsync(new Uri($"sandbox/admin/prices/{symbol}", UriKind.Relative), new { price });
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        }
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (Sandbox is not null)
        {
            await Sandbox.DisposeAsync();
        }
    }

    /// <summary>A fresh Alpaca user (so families do not share positions), authorized through the Sandbox's OAuth endpoints.</summary>
    public async Task<ConformanceSession> NewSessionAsync(string label)
    {
        var username = $"conformance-{label}-{Guid.NewGuid():N}";
        if (username.Length > 64)
        {
            username = username[..64];
        }

        var token = await AuthorizeAsync(username);
        return new ConformanceSession(Sandbox, token);
    }

    private async Task<AccessToken> AuthorizeAsync(string username)
    {
        var authorize = new Dictionary<string, string>
        {
            ["client_id"] = ClientId,
            ["redirect_uri"] = RedirectUri,
            ["response_type"] = "code",
            ["scope"] = "account:write trading",
            ["env"] = "paper",
            ["state"] = "x",
        };

        using var consentPage = await _http.GetAsync(new Uri(QueryHelpers.AddQueryString("oauth/authorize", authorize!), UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, consentPage.StatusCode);

        using var consentForm = new FormUrlEncodedContent(authorize.Append(new("username", username)).Append(new("decision", "allow")));
        using var decision = await _http.PostAsync(new Uri("oauth/authorize", UriKind.Relative), consentForm);
        Assert.Equal(HttpStatusCode.Redirect, decision.StatusCode);
        var callback = decision.Headers.Location!;
        Assert.StartsWith(RedirectUri, callback.ToString(), StringComparison.Ordinal);
        var callbackQuery = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal("x", callbackQuery["state"].ToString());
        var code = callbackQuery["code"].ToString();
        Assert.False(string.IsNullOrEmpty(code), $"No code in {callback}");

        using var tokenForm = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["client_id"] = ClientId,
            ["client_secret"] = ClientSecret,
            ["redirect_uri"] = RedirectUri,
        });
        using var tokenResponse = await _http.PostAsync(new Uri("oauth/token", UriKind.Relative), tokenForm);
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        using var body = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync());
        return new AccessToken(body.RootElement.GetProperty("access_token").GetString()!);
    }
}

/// <summary>One user's typed client whose traffic is recorded, and which client method produced which exchanges.</summary>
public sealed class ConformanceSession : IDisposable
{
    private readonly List<ClientInvocation> _invocations = [];
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    public ConformanceSession(SandboxHost sandbox, AccessToken token)
    {
        Token = token;
        Recorder = new RecordingHandler();
        _http = new HttpClient(Recorder);
        Client = new AlpacaTradingClient(
            _http,
            Options.Create(new AlpacaOptions { ClientId = "x", PaperApiUrl = sandbox.PaperApiUrl, LiveApiUrl = sandbox.LiveApiUrl }));
    }

    public AccessToken Token { get; }

    public RecordingHandler Recorder { get; }

    public AlpacaTradingClient Client { get; }

    public CancellationToken Ct => _timeout.Token;

    public IReadOnlyList<ClientInvocation> Invocations => _invocations;

    public string NewClientOrderId() => "conformance-" + Guid.NewGuid().ToString("N");

    public void Dispose()
    {
        _http.Dispose(); // disposes the recorder and its transport too
        _timeout.Dispose();
    }

    /// <summary>
    /// Calls one client method and remembers its name (taken from the expression, so the label cannot lie)
    /// together with the exchanges it caused.
    /// </summary>
    public async Task<AlpacaResult<T>> Call<T>(Expression<Func<AlpacaTradingClient, Task<AlpacaResult<T>>>> call)
    {
        if (call.Body is not MethodCallExpression { Method: var method } || method.DeclaringType != typeof(AlpacaTradingClient))
        {
            throw new ArgumentException($"Call takes one AlpacaTradingClient method call, not {call.Body}.", nameof(call));
        }

        var before = Recorder.Count;
        var result = await call.Compile(preferInterpretation: true)(Client);
        var exchanges = Recorder.Since(before);
        Assert.True(exchanges.Count > 0, $"{method.Name} sent no request.");
        _invocations.Add(new ClientInvocation(method.Name, exchanges));
        return result;
    }

    /// <summary>CreateOrderAsync that must succeed.</summary>
    public async Task<AlpacaOrder> PlaceAsync(AlpacaOrderRequest order)
    {
        var result = await Call(c => c.CreateOrderAsync(AlpacaEnv.Paper, Token, order, Ct));
        return TradingApiConformanceTests.Ok(result, $"{order.OrderClass ?? "simple"} {order.Type} {order.Side} {order.TimeInForce} order");
    }
}

public sealed record ClientInvocation(string Method, IReadOnlyList<RecordedExchange> Exchanges);

/// <summary>Checks recorded exchanges against the spec and collects every disagreement with its JSON pointer.</summary>
public sealed class ConformanceReport
{
    private readonly List<ConformanceProblem> _problems = [];
    private readonly List<string> _checked = [];
    private readonly SortedSet<string> _notes = new(StringComparer.Ordinal);

    private ConformanceReport()
    {
    }

    public IReadOnlyList<ConformanceProblem> Problems => _problems;

    /// <summary>One line per exchange: operation, status and what it was validated against.</summary>
    public IReadOnlyList<string> Checked => _checked;

    /// <summary>Response members the spec does not declare (informational).</summary>
    public IReadOnlyCollection<string> Notes => _notes;

    public static ConformanceReport Check(OpenApiSpec spec, IEnumerable<RecordedExchange> exchanges)
    {
        var report = new ConformanceReport();
        foreach (var exchange in exchanges)
        {
            report.CheckOne(spec, exchange);
        }

        return report;
    }

    public string Summary()
    {
        var text = new StringBuilder();
        foreach (var group in _checked.GroupBy(c => c, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{group.Count(),3} × {group.Key}").AppendLine();
        }

        foreach (var note in _notes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"note: {note}");
        }

        return text.ToString();
    }

    public string Describe()
    {
        if (_problems.Count == 0)
        {
            return "conforms";
        }

        var text = new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"{_problems.Count} disagreement(s) with {OpenApiSpec.RelativePath}:");
        foreach (var problem in _problems)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {problem.Exchange} [{problem.Operation}] {problem.Part}: {problem.Message}");
        }

        return text.ToString();
    }

    private void CheckOne(OpenApiSpec spec, RecordedExchange exchange)
    {
        var path = OpenApiSpec.StripEnvPrefix(exchange.Path);
        var operation = spec.FindOperation(exchange.Method.Method, path);
        if (operation is null)
        {
            Add(exchange, "(none)", "path", $"no operation in the spec for {exchange.Method} {path}");
            return;
        }

        var id = operation.OperationId;
        var checks = new List<string>();
        if (CheckParameters(spec, exchange, operation, path) > 0)
        {
            checks.Add("parameters ⊨ spec");
        }

        checks.Add(CheckRequestBody(spec, exchange, operation));
        checks.Add(CheckResponse(spec, exchange, operation));
        _checked.Add($"{exchange.Method} {operation.PathTemplate} ({id}) {exchange.Status}: {string.Join(", ", checks.Where(c => c.Length > 0))}");
    }

    /// <returns>How many parameter values were checked.</returns>
    private int CheckParameters(OpenApiSpec spec, RecordedExchange exchange, SpecOperation operation, string path)
    {
        var count = 0;
        var parameters = spec.Parameters(operation);
        var pathValues = operation.Match(path)!;
        foreach (var (name, value) in pathValues)
        {
            var parameter = parameters.FirstOrDefault(p => p.In == "path" && p.Name == name);
            if (parameter is null)
            {
                Add(exchange, operation.OperationId, $"path parameter {name}", "is in the template but not declared");
                continue;
            }

            CheckParameterValue(exchange, operation, parameter, value);
            count++;
        }

        var query = QueryHelpers.ParseQuery(exchange.Uri.Query);
        foreach (var (name, values) in query)
        {
            var parameter = parameters.FirstOrDefault(p => p.In == "query" && p.Name == name);
            if (parameter is null)
            {
                Add(exchange, operation.OperationId, $"query parameter {name}", "is not declared by the operation");
                continue;
            }

            foreach (var value in values)
            {
                CheckParameterValue(exchange, operation, parameter, value ?? "");
                count++;
            }
        }

        foreach (var missing in parameters.Where(p => p.In == "query" && p.Required && !query.ContainsKey(p.Name)))
        {
            Add(exchange, operation.OperationId, $"query parameter {missing.Name}", "is required but was not sent");
        }

        return count;
    }

    private void CheckParameterValue(RecordedExchange exchange, SpecOperation operation, ParameterSpec parameter, string text)
    {
        var part = $"{parameter.In} parameter {parameter.Name}='{text}'";
        JsonNode? value;
        switch (parameter.Type)
        {
            case "integer":
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
                {
                    Add(exchange, operation.OperationId, part, "is not an integer");
                    return;
                }

                value = JsonValue.Create(integer);
                break;
            case "number":
                if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                {
                    Add(exchange, operation.OperationId, part, "is not a number");
                    return;
                }

                value = JsonValue.Create(number);
                break;
            case "boolean":
                if (text is not ("true" or "false"))
                {
                    Add(exchange, operation.OperationId, part, "is not true or false");
                    return;
                }

                value = JsonValue.Create(text == "true");
                break;
            case "array":
                value = new JsonArray(text.Split(',').Select(item => (JsonNode?)JsonValue.Create(item)).ToArray());
                break;
            default:
                value = JsonValue.Create(text);
                break;
        }

        if (parameter.Schema is not null)
        {
            foreach (var violation in OpenApiSpec.Validate(parameter.Schema, JsonSerializer.SerializeToElement(value)))
            {
                Add(exchange, operation.OperationId, part, violation.ToString());
            }
        }
    }

    private string CheckRequestBody(OpenApiSpec spec, RecordedExchange exchange, SpecOperation operation)
    {
        var body = spec.RequestBody(operation);
        if (!exchange.HasRequestBody)
        {
            if (body.Required)
            {
                Add(exchange, operation.OperationId, "request body", "is required by the spec but none was sent");
            }

            return "";
        }

        if (!body.Declared || body.Schema is null)
        {
            Add(exchange, operation.OperationId, "request body", $"was sent ({exchange.RequestBody}) but the spec declares no JSON body");
            return "request body undeclared";
        }

        if (exchange.RequestContentType != "application/json")
        {
            Add(exchange, operation.OperationId, "request body", $"Content-Type is '{exchange.RequestContentType}', not application/json");
        }

        if (Validate(exchange, operation, $"request body ({body.SchemaName})", body.Schema, exchange.RequestBody!) is { } json)
        {
            // What we send must be what Alpaca reads: a member the spec does not declare would be silently ignored.
            foreach (var member in spec.UndeclaredProperties(body.OpenApiSchema!, json))
            {
                Add(exchange, operation.OperationId, $"request body ({body.SchemaName})", $"{member}: member is not declared by the spec — value: {ValueAt(json, member)}");
            }
        }

        return $"request ⊨ {body.SchemaName} (no undeclared members)";
    }

    private string CheckResponse(OpenApiSpec spec, RecordedExchange exchange, SpecOperation operation)
    {
        var response = spec.Response(operation, exchange.Status);
        if (exchange.Status is >= 200 and < 300)
        {
            if (response.DeclaredAs is null)
            {
                var declared = (operation.Node["responses"] as JsonObject)?.Select(r => r.Key) ?? [];
                Add(exchange, operation.OperationId, "response", $"status {exchange.Status} is not declared by the spec (declared: {string.Join(", ", declared)})");
                return "response status undeclared";
            }

            if (response.Schema is not null)
            {
                if (Validate(exchange, operation, $"response body {exchange.Status} ({response.SchemaName})", response.Schema, exchange.ResponseBody) is { } json)
                {
                    // Alpaca adds response fields freely, so these are notes, not failures.
                    foreach (var member in spec.UndeclaredProperties(response.OpenApiSchema!, json))
                    {
                        _notes.Add($"{operation.OperationId} {exchange.Status}: {Regex.Replace(member, "/[0-9]+(?=/|$)", "/*")} is not declared by the spec");
                    }
                }

                return $"response ⊨ {response.SchemaName}";
            }

            if (!response.HasContent && exchange.HasResponseBody)
            {
                Add(exchange, operation.OperationId, "response body", $"the spec declares no body for {exchange.Status}, got {exchange.ResponseBody}");
            }

            return "response has no body, as declared";
        }

        // Errors: the spec's schema where it declares one, otherwise Alpaca's documented {code, message}.
        var schema = response.Schema ?? spec.AlpacaErrorShape;
        var name = response.Schema is not null
            ? response.SchemaName!
            : $"{{code:integer, message:string}} per ALPACA.md (spec: {(response.DeclaredAs is null ? "status not declared" : "no schema")})";
        Validate(exchange, operation, $"error body {exchange.Status} ({name})", schema, exchange.ResponseBody);
        return $"error ⊨ {name}";
    }

    /// <returns>The parsed body, or null when it is not JSON.</returns>
    private JsonElement? Validate(RecordedExchange exchange, SpecOperation operation, string part, Json.Schema.JsonSchema schema, string body)
    {
        JsonElement json;
        try
        {
            using var document = JsonDocument.Parse(body);
            json = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            Add(exchange, operation.OperationId, part, $"is not JSON ({e.Message}): '{body}'");
            return null;
        }

        foreach (var violation in OpenApiSpec.Validate(schema, json))
        {
            Add(exchange, operation.OperationId, part, $"{violation} — value: {ValueAt(json, violation.InstanceLocation)}");
        }

        return json;
    }

    private static string ValueAt(JsonElement root, string pointer)
    {
        var node = root;
        foreach (var raw in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(token, out var child))
            {
                node = child;
            }
            else if (node.ValueKind == JsonValueKind.Array && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < node.GetArrayLength())
            {
                node = node[i];
            }
            else
            {
                return "(absent)";
            }
        }

        var text = node.GetRawText();
        return text.Length > 200 ? text[..200] + "…" : text;
    }

    private void Add(RecordedExchange exchange, string operation, string part, string message) =>
        _problems.Add(new ConformanceProblem(exchange, operation, part, message));
}

public sealed record ConformanceProblem(RecordedExchange Exchange, string Operation, string Part, string Message);
