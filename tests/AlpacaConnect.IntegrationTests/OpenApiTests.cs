using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlpacaConnect.Core.Api;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Json.Schema;
using Xunit.Abstractions;

namespace AlpacaConnect.IntegrationTests;

public sealed class OpenApiAnswerTestsOnServer() : OpenApiAnswerTests(HostKind.Server);

public sealed class OpenApiAnswerTestsOnFunctions() : OpenApiAnswerTests(HostKind.Functions);

/// <summary>The OpenAPI document as each host serves it, and real answers of each host validated against it.</summary>
public abstract class OpenApiAnswerTests(HostKind host)
{
    [SkippableFact]
    public async Task The_document_describes_every_endpoint_and_real_answers_validate_against_it()
    {
        await using var s = await TestSystem.StartAsync(host: host);
        var response = await s.Browser.GetAsync(new Uri(s.ServerUrl, "/api/openapi.json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("3.1.0", doc["openapi"]!.GetValue<string>());

        foreach (var endpoint in ApiCatalog.All)
        {
            var operation = doc["paths"]!["/" + endpoint.Route]![endpoint.Method.ToLowerInvariant()]!;
            Assert.Equal(endpoint.Name, operation["operationId"]!.GetValue<string>());
            Assert.Equal(endpoint.Keyed ? 1 : 0, operation["security"]!.AsArray().Count);
        }

        // Real answers of the running system validate against the schemas the document declares.
        await s.ConnectAsync("rita");
        var link = await s.Api.PostAsJsonAsync("/api/connect-links", new { user_id = "rita", env = "paper", return_url = TestSystem.ReturnOrigin + "/x" });
        OpenApiTests.AssertValid(doc, "CreateConnectLink", 201, await link.Content.ReadAsStringAsync());
        var id = await s.TradeAsync("rita", new { symbol = "AAPL", side = "buy", type = "market", qty = "1", time_in_force = "day" });
        var trade = await s.WaitForTradeAsync(id, ["filled"]);
        OpenApiTests.AssertValid(doc, "GetTrade", 200, trade.GetRawText());
        OpenApiTests.AssertValid(doc, "ListConnections", 200, await s.Api.GetStringAsync("/api/connections/rita"));
        var invalid = await s.PostTradeAsync(new { user_id = "rita", env = "paper", order = new { symbol = "AAPL", side = "buy", type = "market", qty = "0", time_in_force = "day" } });
        OpenApiTests.AssertValid(doc, "AcceptTrade", 422, await invalid.Content.ReadAsStringAsync());
        OpenApiTests.AssertValid(doc, "GetAccount", 200, await s.Api.GetStringAsync("/api/connections/rita/paper/account"));

        // And the check can fail: a body missing a required field is refused.
        Assert.Throws<Xunit.Sdk.TrueException>(() => OpenApiTests.AssertValid(doc, "CreateConnectLink", 201, """{"expires_at":"2026-01-01T00:00:00Z"}"""));
    }
}

/// <summary>The OpenAPI document: generated from the code and lint-clean.</summary>
public sealed class OpenApiTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_document_passes_redocly_lint()
    {
        var repo = RepoRoot();
        var redocly = Path.Combine(repo, "node_modules", ".bin", "redocly");
        if (!File.Exists(redocly))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", "CI must run npm ci (eng/common.sh) so @redocly/cli is installed.");
            output.WriteLine("skipped: run npm ci to install @redocly/cli");
            return;
        }
        var file = Path.Combine(Path.GetTempPath(), $"alpaca-connect-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, OpenApiDocument.Build().ToJsonString());
        try
        {
            var start = new ProcessStartInfo(redocly, ["lint", file, "--config", Path.Combine(repo, "redocly.yaml"), "--format", "stylish"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = repo,
            };
            start.Environment["REDOCLY_TELEMETRY"] = "off";
            start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(120_000), "redocly lint did not finish in 120 s");
            output.WriteLine(await stdout + await stderr);
            Assert.True(process.ExitCode == 0, $"redocly lint failed:\n{await stdout}{await stderr}");
            // Problems are listed one per line as "line:col  warning|error  rule  message".
            Assert.DoesNotMatch(@"(?m)^\s*\d+:\d+\s+(warning|error)\b", await stdout + await stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }

    internal static void AssertValid(JsonObject doc, string operationId, int status, string body)
    {
        var operation = doc["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()).Single(o => o.Value!["operationId"]!.GetValue<string>() == operationId).Value!;
        var content = operation["responses"]![status.ToString(System.Globalization.CultureInfo.InvariantCulture)]!["content"]!.AsObject().First().Value!;
        // Validate against the component schema, with the document's components resolvable.
        var schemaDoc = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"https://alpaca-connect.test/openapi/{Guid.NewGuid():N}",
            ["$defs"] = doc["components"]!["schemas"]!.DeepClone(),
            ["$ref"] = content["schema"]!["$ref"]!.GetValue<string>().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal),
        };
        var schema = JsonSchema.FromText(schemaDoc.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal));
        var result = schema.Evaluate(JsonDocument.Parse(body).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        Assert.True(result.IsValid, $"{operationId} {status} does not match the document: {string.Join("; ", errors)}\n{body}");
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AlpacaConnectFunctions.sln")))
            dir = dir.Parent;
        return dir!.FullName;
    }
}
