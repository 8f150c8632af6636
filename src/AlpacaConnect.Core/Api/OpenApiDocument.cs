using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Trading;
using Microsoft.AspNetCore.Http;

namespace AlpacaConnect.Core.Api;

/// <summary>
/// The OpenAPI 3.1 document, generated from <see cref="ApiCatalog"/> and the request and response
/// types themselves (System.Text.Json's schema exporter, with the API's own JSON options), so it
/// says what the code does. Both hosts serve it at /api/openapi.json.
/// </summary>
public static class OpenApiDocument
{
    private static readonly Lazy<string> Json = new(() => Build().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public static IResult Result(HttpRequest request) => Results.Text(Json.Value, "application/json");

    public static JsonObject Build()
    {
        var schemas = new JsonObject();
        var paths = new JsonObject();
        foreach (var endpoint in ApiCatalog.All)
        {
            var path = "/" + endpoint.Route;
            var item = paths[path] as JsonObject ?? new JsonObject();
            paths[path] = item;
            item[endpoint.Method.ToLowerInvariant()] = Operation(endpoint, schemas);
        }

        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject
            {
                ["title"] = "Alpaca Connect Functions",
                ["version"] = "1.0.0",
                ["description"] = "Connect your users' Alpaca accounts (OAuth2) and trade on their behalf exactly once; outgoing webhooks signed per Standard Webhooks. Errors are RFC 9457 problem+json with a stable type (urn:alpaca-connect:problem:<kind>).",
                ["license"] = new JsonObject { ["name"] = "Proprietary", ["identifier"] = "LicenseRef-Proprietary" },
            },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = "/api" }),
            ["tags"] = new JsonArray(ApiCatalog.All.Select(e => e.Tag).Distinct().Select(t => (JsonNode)new JsonObject { ["name"] = t, ["description"] = t + "." }).ToArray()),
            ["security"] = new JsonArray(),
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject
                {
                    ["functionKey"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = "x-functions-key", ["description"] = "The Functions key (or ?code=)." },
                },
                ["schemas"] = schemas,
            },
        };
    }

    private static JsonObject Operation(ApiEndpoint endpoint, JsonObject schemas)
    {
        var parameters = new JsonArray();
        foreach (var name in endpoint.RouteParameters)
            parameters.Add(new JsonObject { ["name"] = name, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" } });
        foreach (var p in endpoint.Parameters)
            parameters.Add(new JsonObject { ["name"] = p.Name, ["in"] = p.In, ["required"] = p.Required, ["description"] = p.Description, ["schema"] = new JsonObject { ["type"] = "string" } });

        var responses = new JsonObject();
        foreach (var response in endpoint.Responses)
        {
            var entry = new JsonObject { ["description"] = response.Description };
            var headers = new JsonObject();
            if (response.Status is 302)
                headers["Location"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" } };
            foreach (var header in endpoint.ResponseHeaders)
                headers[header.Name] = new JsonObject { ["description"] = header.Description, ["schema"] = new JsonObject { ["type"] = "string" } };
            if (headers.Count > 0)
                entry["headers"] = headers;
            if (response.Body is not null)
                entry["content"] = new JsonObject { [response.ContentType] = new JsonObject { ["schema"] = Reference(response.Body, schemas) } };
            else if (response.ContentType == "text/html")
                entry["content"] = new JsonObject { ["text/html"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" } } };
            responses[response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = entry;
        }

        var operation = new JsonObject
        {
            ["operationId"] = endpoint.Name,
            ["summary"] = endpoint.Summary,
            ["tags"] = new JsonArray(endpoint.Tag),
            ["security"] = endpoint.Keyed ? new JsonArray(new JsonObject { ["functionKey"] = new JsonArray() }) : new JsonArray(),
            ["responses"] = responses,
        };
        if (parameters.Count > 0)
            operation["parameters"] = parameters;
        if (endpoint.RequestBody is not null)
            operation["requestBody"] = new JsonObject
            {
                ["required"] = true,
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = Reference(endpoint.RequestBody, schemas) } },
            };
        return operation;
    }

    private static JsonNode Reference(Type type, JsonObject schemas)
    {
        if (type == typeof(object))
            return new JsonObject { ["type"] = "object" };
        var name = SchemaName(type);
        if (!schemas.ContainsKey(name))
        {
            var schema = JsonSchemaExporter.GetJsonSchemaAsNode(JsonBody.Options, type, new JsonSchemaExporterOptions
            {
                TreatNullObliviousAsNonNullable = true,
                TransformSchemaNode = Describe,
            });
            // The exporter's references (recursive types) point into the schema's own root; re-root them here.
            Rebase(schema, "#/components/schemas/" + name);
            schemas[name] = schema;
        }
        return new JsonObject { ["$ref"] = "#/components/schemas/" + name };
    }

    private static void Rebase(JsonNode? node, string root)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["$ref"] is JsonValue r && r.GetValue<string>() is var target && target.StartsWith('#'))
                    o["$ref"] = root + target[1..];
                foreach (var (_, child) in o.ToList())
                    Rebase(child, root);
                break;
            case JsonArray a:
                foreach (var child in a)
                    Rebase(child, root);
                break;
        }
    }

    /// <summary>Sizes and prices take a plain decimal as a JSON string (as Alpaca sends them) or a number.</summary>
    private static JsonNode Describe(JsonSchemaExporterContext context, JsonNode schema)
    {
        if (context.PropertyInfo?.CustomConverter is DecimalTextConverter)
            return new JsonObject
            {
                ["type"] = new JsonArray("string", "number", "null"),
                ["pattern"] = "^-?[0-9]+(\\.[0-9]+)?$",
                ["description"] = "A decimal in plain notation (no exponent), as a JSON string or number; sent to Alpaca as the exact text given.",
            };
        return schema;
    }

    private static string SchemaName(Type type) => type.IsGenericType
        ? SchemaName(type.GetGenericArguments()[0]) + "List"
        : (type.DeclaringType is { } outer && outer != typeof(ApiCatalog) ? outer.Name.Replace("Api", "", StringComparison.Ordinal) : "") + type.Name;
}
