using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace AlpacaConnect.IntegrationTests.Conformance;

/// <summary>
/// Alpaca's own OpenAPI 3.0 document of the Trading API (vendored as <c>Conformance/Alpaca/trading-api.json</c>) turned into JSON Schema 2020-12 validators for JsonSchema.Net: one operation is found by method and
/// concrete path, and its request body, parameters and per-status response bodies become schemas.
/// </summary>
/// <remarks>
/// OpenAPI 3.0 schema dialect, converted rather than ignored:
/// <list type="bullet">
/// <item><c>$ref: #/components/schemas/X</c> becomes <c>#/$defs/X</c>; every compiled schema carries all components as <c>$defs</c>.</item>
/// <item><c>nullable: true</c> adds <c>"null"</c> to <c>type</c> (an <c>enum</c> still has to list null itself, per the OAS 3.0.3 clarification).</item>
/// <item><c>example</c>, <c>discriminator</c>, <c>xml</c>, <c>externalDocs</c> and <c>x-*</c> are dropped (annotations only).</item>
/// <item><c>format</c> is asserted for <c>date-time</c>, <c>date</c> and <c>uuid</c> (JSON Schema defines those exactly as OpenAPI does);
/// OpenAPI-only formats (<c>decimal</c>, <c>int64</c>, <c>ulid</c>, ...) are hints and are dropped.</item>
/// <item>Boolean <c>exclusiveMinimum</c>/<c>exclusiveMaximum</c> become the numeric 2020-12 form.</item>
/// <item>Any other keyword that is not plain JSON Schema makes the conversion throw, so nothing is silently skipped.</item>
/// </list>
/// </remarks>
public sealed class OpenApiSpec
{
    /// <summary>The vendored copy, beside this file, copied into the test output (see Alpaca/README.md).</summary>
    public const string RelativePath = "Conformance/Alpaca/trading-api.json";

    /// <summary>The checksum Alpaca/README.md records for the vendored version.</summary>
    public const string VendoredSha256 = "69cce7014e3ab61eafd8fc258bf4f1944ff1d9d58ad8c297102678408a7a958b";

    private const string Draft202012 = "https://json-schema.org/draft/2020-12/schema";
    private const string ComponentSchemaPrefix = "#/components/schemas/";

    private static readonly string[] HttpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    /// <summary>The Sandbox serves paper-api.alpaca.markets under /paper and api.alpaca.markets under /live.</summary>
    private static readonly string[] EnvPrefixes = ["/paper", "/live"];

    private static readonly HashSet<string> AssertedFormats = new(StringComparer.Ordinal) { "date-time", "date", "uuid" };

    private static readonly HashSet<string> DroppedKeywords = new(StringComparer.Ordinal) { "example", "discriminator", "xml", "externalDocs" };

    /// <summary>OpenAPI 3.0 schema keywords that mean exactly the same in JSON Schema 2020-12.</summary>
    private static readonly HashSet<string> PlainKeywords = new(StringComparer.Ordinal)
    {
        "type", "enum", "required", "minLength", "maxLength", "pattern", "minimum", "maximum", "multipleOf",
        "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
        "title", "description", "default", "deprecated", "readOnly", "writeOnly",
    };

    private static readonly EvaluationOptions Evaluation = new()
    {
        OutputFormat = OutputFormat.Hierarchical,
        RequireFormatValidation = true,
    };

    private readonly JsonObject _document;
    private readonly JsonObject _defs;
    private readonly ConcurrentDictionary<string, JsonSchema> _compiled = new(StringComparer.Ordinal);

    private OpenApiSpec(string sourcePath, JsonObject document)
    {
        SourcePath = sourcePath;
        _document = document;

        _defs = new JsonObject();
        if (document["components"]?["schemas"] is JsonObject schemas)
        {
            foreach (var (name, schema) in schemas)
            {
                _defs[name] = ConvertSchema(schema, $"{ComponentSchemaPrefix}{EscapePointer(name)}");
            }
        }

        var operations = new List<SpecOperation>();
        foreach (var (template, item) in document["paths"]?.AsObject() ?? [])
        {
            if (item is not JsonObject pathItem)
            {
                continue;
            }

            foreach (var method in HttpMethods)
            {
                if (pathItem[method] is JsonObject operation)
                {
                    operations.Add(SpecOperation.Create(method.ToUpperInvariant(), template, operation, pathItem["parameters"] as JsonArray));
                }
            }
        }

        Operations = operations;
    }

    public string SourcePath { get; }

    public IReadOnlyList<SpecOperation> Operations { get; }

    /// <summary>The schema for "our own expectation" of an error body where the spec declares none (ALPACA.md: <c>{"code": number, "message": "..."}</c>).</summary>
    public JsonSchema AlpacaErrorShape { get; } = JsonSchema.FromText(
        """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "required": ["code", "message"],
          "properties": {
            "code": { "type": "integer" },
            "message": { "type": "string", "minLength": 1 }
          }
        }
        """,
        new BuildOptions { SchemaRegistry = new SchemaRegistry() },
        new Uri("https://conformance.invalid/alpaca-error-shape"));

    /// <summary>Loads the spec found by <see cref="Locate"/>.</summary>
    public static OpenApiSpec Load() => Load(Locate());

    public static OpenApiSpec Load(string path)
    {
        var node = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new InvalidOperationException($"{path} is not a JSON object.");
        var version = node["openapi"]?.GetValue<string>() ?? "";
        if (!version.StartsWith("3.0", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{path} is OpenAPI '{version}'; this converter speaks the 3.0 schema dialect only.");
        }

        return new OpenApiSpec(path, node);
    }

    /// <summary>The vendored spec in the test output folder: a fresh clone needs nothing beside the repository.</summary>
    public static string Locate()
    {
        var path = Path.Combine(AppContext.BaseDirectory, RelativePath);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{RelativePath} is not in the test output ({AppContext.BaseDirectory}); the project copies it there.", path);
    }

    /// <summary>"/paper/v2/orders" → "/v2/orders": the Sandbox's env prefix is not part of Alpaca's paths.</summary>
    public static string StripEnvPrefix(string absolutePath)
    {
        foreach (var prefix in EnvPrefixes)
        {
            if (absolutePath.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                return absolutePath[prefix.Length..];
            }
        }

        return absolutePath;
    }

    /// <summary>
    /// The operation for a concrete path (env prefix already stripped, still URL-escaped), e.g.
    /// <c>/v2/orders/61e6…</c> → <c>/v2/orders/{order_id}</c>. Literal templates win over parameterised ones.
    /// </summary>
    public SpecOperation? FindOperation(string method, string path) =>
        Operations
            .Where(o => string.Equals(o.Method, method, StringComparison.OrdinalIgnoreCase) && o.Match(path) is not null)
            .OrderBy(o => o.PathParameterNames.Count)
            .FirstOrDefault();

    public SpecOperation GetOperation(string operationId) =>
        Operations.SingleOrDefault(o => o.OperationId == operationId)
        ?? throw new KeyNotFoundException($"The spec has no operation '{operationId}'.");

    /// <summary>What the spec says about one response status of an operation.</summary>
    public ResponseSpec Response(SpecOperation operation, int status)
    {
        var responses = operation.Node["responses"] as JsonObject;
        var code = status.ToString(CultureInfo.InvariantCulture);
        var range = $"{code[0]}XX";
        string? key = null;
        foreach (var candidate in new[] { code, range, range.ToLowerInvariant(), "default" })
        {
            if (responses?.ContainsKey(candidate) == true)
            {
                key = candidate;
                break;
            }
        }

        if (key is null)
        {
            return new ResponseSpec(null, false, null, null, null);
        }

        var pointer = $"{operation.SpecPointer}/responses/{key}";
        var response = Resolve(responses![key]!, ref pointer);
        var (schemaNode, schemaPointer) = JsonSchemaOf(response, pointer);
        return new ResponseSpec(
            key,
            response["content"] is JsonObject { Count: > 0 },
            schemaNode,
            schemaNode is null ? null : Compile(schemaNode, schemaPointer),
            schemaNode is null ? null : Describe(schemaNode, schemaPointer));
    }

    /// <summary>What the spec says about the request body of an operation.</summary>
    public RequestBodySpec RequestBody(SpecOperation operation)
    {
        if (operation.Node["requestBody"] is not { } body)
        {
            return new RequestBodySpec(false, false, null, null, null);
        }

        var pointer = $"{operation.SpecPointer}/requestBody";
        var resolved = Resolve(body, ref pointer);
        var (schemaNode, schemaPointer) = JsonSchemaOf(resolved, pointer);
        return new RequestBodySpec(
            true,
            resolved["required"]?.GetValue<bool>() == true,
            schemaNode,
            schemaNode is null ? null : Compile(schemaNode, schemaPointer),
            schemaNode is null ? null : Describe(schemaNode, schemaPointer));
    }

    /// <summary>Path-level and operation-level parameters (the operation's win), <c>$ref</c>s resolved.</summary>
    public IReadOnlyList<ParameterSpec> Parameters(SpecOperation operation)
    {
        var byKey = new Dictionary<(string In, string Name), ParameterSpec>();
        void Add(JsonArray? parameters, string pointer)
        {
            for (var i = 0; i < (parameters?.Count ?? 0); i++)
            {
                var at = $"{pointer}/{i}";
                var parameter = Resolve(parameters![i]!, ref at);
                var name = parameter["name"]!.GetValue<string>();
                var location = parameter["in"]!.GetValue<string>();
                var schema = parameter["schema"];
                byKey[(location, name)] = new ParameterSpec(
                    name,
                    location,
                    location == "path" || parameter["required"]?.GetValue<bool>() == true,
                    schema,
                    schema is null ? null : Compile(schema, $"{at}/schema"));
            }
        }

        Add(operation.PathItemParameters, $"#/paths/{EscapePointer(operation.PathTemplate)}/parameters");
        Add(operation.Node["parameters"] as JsonArray, $"{operation.SpecPointer}/parameters");
        return byKey.Values.ToList();
    }

    /// <summary>A component schema by name, e.g. <c>CreateOrderRequest</c>.</summary>
    public JsonSchema ComponentSchema(string name)
    {
        var pointer = $"{ComponentSchemaPrefix}{EscapePointer(name)}";
        return Compile(new JsonObject { ["$ref"] = pointer }, pointer);
    }

    /// <summary>
    /// JSON pointers of object members that no schema on their path declares: the spec's objects allow extra
    /// members, so a misspelt optional field (<c>limitPrice</c>) would pass validation and be ignored by Alpaca.
    /// Properties are collected across <c>$ref</c>, <c>allOf</c>, <c>anyOf</c> and <c>oneOf</c>; objects with
    /// <c>additionalProperties</c> or without any <c>properties</c> are free-form and not inspected.
    /// </summary>
    public IReadOnlyList<string> UndeclaredProperties(JsonNode openApiSchema, JsonElement instance)
    {
        var found = new List<string>();
        Walk([openApiSchema], instance, "", found);
        return found;
    }

    private void Walk(IReadOnlyList<JsonNode> schemas, JsonElement instance, string at, List<string> found)
    {
        var branches = new List<JsonObject>();
        foreach (var schema in schemas)
        {
            Flatten(schema, branches, 0);
        }

        if (instance.ValueKind == JsonValueKind.Object)
        {
            var declared = new Dictionary<string, List<JsonNode>>(StringComparer.Ordinal);
            var freeForm = false;
            foreach (var branch in branches)
            {
                foreach (var (name, property) in branch["properties"] as JsonObject ?? [])
                {
                    if (!declared.TryGetValue(name, out var list))
                    {
                        declared[name] = list = [];
                    }

                    list.Add(property!);
                }

                freeForm |= branch["additionalProperties"] is { } additional && additional.GetValueKind() != JsonValueKind.False;
            }

            if (declared.Count == 0)
            {
                return;
            }

            foreach (var member in instance.EnumerateObject())
            {
                var path = $"{at}/{EscapePointer(member.Name)}";
                if (declared.TryGetValue(member.Name, out var propertySchemas))
                {
                    Walk(propertySchemas, member.Value, path, found);
                }
                else if (!freeForm)
                {
                    found.Add(path);
                }
            }
        }
        else if (instance.ValueKind == JsonValueKind.Array)
        {
            var items = branches.Select(b => b["items"]).OfType<JsonNode>().ToList();
            var index = 0;
            foreach (var element in instance.EnumerateArray())
            {
                Walk(items, element, $"{at}/{index++}", found);
            }
        }
    }

    private void Flatten(JsonNode? schema, List<JsonObject> into, int depth)
    {
        if (schema is not JsonObject obj || depth > 32)
        {
            return;
        }

        if (obj["$ref"] is JsonValue reference)
        {
            Flatten(Pointer(reference.GetValue<string>()), into, depth + 1);
        }

        into.Add(obj);
        foreach (var keyword in new[] { "allOf", "anyOf", "oneOf" })
        {
            foreach (var branch in obj[keyword] as JsonArray ?? [])
            {
                Flatten(branch, into, depth + 1);
            }
        }
    }

    /// <summary>Validates and flattens the failures to (instance pointer, keyword, message).</summary>
    public static IReadOnlyList<SchemaViolation> Validate(JsonSchema schema, JsonElement instance)
    {
        var results = schema.Evaluate(instance, Evaluation);
        if (results.IsValid)
        {
            return [];
        }

        var violations = new List<SchemaViolation>();
        Collect(results, violations);
        if (violations.Count == 0)
        {
            violations.Add(new SchemaViolation(results.InstanceLocation.ToString(), "(none)", "invalid, without an error message", results.EvaluationPath.ToString()));
        }

        return violations;
    }

    private static void Collect(EvaluationResults results, List<SchemaViolation> into)
    {
        if (results.Errors is { Count: > 0 } errors)
        {
            foreach (var (keyword, message) in errors)
            {
                into.Add(new SchemaViolation(results.InstanceLocation.ToString(), keyword, message, results.EvaluationPath.ToString()));
            }
        }

        foreach (var detail in results.Details ?? [])
        {
            // A failing branch under a passing anyOf/oneOf (e.g. the "null" side of a nullable) is not a failure.
            if (!detail.IsValid)
            {
                Collect(detail, into);
            }
        }
    }

    /// <summary>Converts an OpenAPI schema (at <paramref name="pointer"/> in the spec) and builds it with all components as $defs.</summary>
    private JsonSchema Compile(JsonNode openApiSchema, string pointer) =>
        _compiled.GetOrAdd(pointer, _ =>
        {
            var converted = ConvertSchema(openApiSchema, pointer);
            var root = new JsonObject { ["$schema"] = Draft202012 };
            if (converted is JsonObject obj)
            {
                foreach (var (key, value) in obj)
                {
                    root[key] = value?.DeepClone();
                }
            }
            else
            {
                root["allOf"] = new JsonArray(converted.DeepClone());
            }

            root["$defs"] = _defs.DeepClone();
            var element = JsonSerializer.SerializeToElement(root);
            var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
            return JsonSchema.Build(element, options, new Uri("https://conformance.invalid/trading-api/" + Uri.EscapeDataString(pointer)));
        });

    private static (JsonNode? Schema, string Pointer) JsonSchemaOf(JsonObject holder, string pointer)
    {
        if (holder["content"] is not JsonObject content)
        {
            return (null, pointer);
        }

        foreach (var (mediaType, media) in content)
        {
            if (mediaType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) && media?["schema"] is { } schema)
            {
                return (schema, $"{pointer}/content/{EscapePointer(mediaType)}/schema");
            }
        }

        return (null, pointer);
    }

    private static string Describe(JsonNode schema, string pointer) =>
        schema is JsonObject { Count: 1 } o && o["$ref"] is JsonValue r ? r.GetValue<string>() : pointer;

    /// <summary>Follows a local <c>$ref</c> (responses, parameters, request bodies) to its target object.</summary>
    private JsonObject Resolve(JsonNode node, ref string pointer)
    {
        for (var hops = 0; node is JsonObject o && o["$ref"] is JsonValue reference; hops++)
        {
            if (hops > 16)
            {
                throw new InvalidOperationException($"$ref loop at {pointer}");
            }

            pointer = reference.GetValue<string>();
            node = Pointer(pointer) ?? throw new InvalidOperationException($"Unresolvable $ref {pointer}");
        }

        return node as JsonObject ?? throw new InvalidOperationException($"{pointer} is not an object.");
    }

    private JsonNode? Pointer(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"Only local references are supported, not {reference}.");
        }

        JsonNode? node = _document;
        foreach (var raw in reference[2..].Split('/'))
        {
            var token = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node is JsonObject o ? o[token] : node is JsonArray a && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count ? a[i] : null;
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    internal static string EscapePointer(string token) =>
        token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    /// <summary>OpenAPI 3.0 schema object → JSON Schema 2020-12 (see the class remarks).</summary>
    internal static JsonNode ConvertSchema(JsonNode? node, string location)
    {
        switch (node)
        {
            case JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                return value.DeepClone();
            case JsonObject schema:
                return ConvertObject(schema, location);
            default:
                throw new NotSupportedException($"{location}: expected a schema object, found {node?.GetValueKind().ToString() ?? "nothing"}.");
        }
    }

    private static JsonObject ConvertObject(JsonObject source, string location)
    {
        var result = new JsonObject();
        var nullable = false;
        foreach (var (key, value) in source)
        {
            var at = $"{location}/{EscapePointer(key)}";
            if (key.StartsWith("x-", StringComparison.Ordinal) || DroppedKeywords.Contains(key))
            {
                continue;
            }

            switch (key)
            {
                case "nullable":
                    nullable = value!.GetValue<bool>();
                    break;
                case "$ref":
                    result[key] = RewriteReference(value!.GetValue<string>(), at);
                    break;
                case "properties":
                    var properties = new JsonObject();
                    foreach (var (name, property) in value!.AsObject())
                    {
                        properties[name] = ConvertSchema(property, $"{at}/{EscapePointer(name)}");
                    }

                    result[key] = properties;
                    break;
                case "items" or "additionalProperties" or "not":
                    result[key] = ConvertSchema(value, at);
                    break;
                case "allOf" or "anyOf" or "oneOf":
                    var branches = new JsonArray();
                    var index = 0;
                    foreach (var branch in value!.AsArray())
                    {
                        branches.Add(ConvertSchema(branch, $"{at}/{index++}"));
                    }

                    result[key] = branches;
                    break;
                case "format":
                    if (AssertedFormats.Contains(value!.GetValue<string>()))
                    {
                        result[key] = value.DeepClone();
                    }

                    break;
                case "exclusiveMinimum" or "exclusiveMaximum":
                    // OpenAPI 3.0 (draft 4): a boolean modifying minimum/maximum; 2020-12: the bound itself.
                    if (value!.GetValueKind() is JsonValueKind.True)
                    {
                        var bound = key == "exclusiveMinimum" ? "minimum" : "maximum";
                        result[key] = source[bound]?.DeepClone() ?? throw new NotSupportedException($"{at}: {key} without {bound}.");
                    }
                    else if (value.GetValueKind() is JsonValueKind.Number)
                    {
                        result[key] = value.DeepClone();
                    }

                    break;
                default:
                    if (!PlainKeywords.Contains(key))
                    {
                        throw new NotSupportedException(
                            $"{at}: OpenAPI schema keyword '{key}' has no conversion; teach {nameof(OpenApiSpec)} about it rather than skipping it.");
                    }

                    result[key] = value?.DeepClone();
                    break;
            }
        }

        // A boolean exclusive bound replaces the inclusive one.
        foreach (var (exclusive, bound) in new[] { ("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum") })
        {
            if (source[exclusive]?.GetValueKind() is JsonValueKind.True)
            {
                result.Remove(bound);
            }
        }

        if (!nullable)
        {
            return result;
        }

        if (result["type"] is JsonValue type)
        {
            result["type"] = new JsonArray(type.GetValue<string>(), "null");
            return result;
        }

        // nullable without a type (e.g. beside allOf): "this, or null".
        return new JsonObject { ["anyOf"] = new JsonArray(result, new JsonObject { ["type"] = "null" }) };
    }

    private static string RewriteReference(string reference, string location) =>
        reference.StartsWith(ComponentSchemaPrefix, StringComparison.Ordinal)
            ? "#/$defs/" + reference[ComponentSchemaPrefix.Length..]
            : throw new NotSupportedException($"{location}: $ref '{reference}' does not point into #/components/schemas.");
}

/// <summary>One operation of the spec: method, path template and its OpenAPI node.</summary>
public sealed class SpecOperation
{
    private readonly Regex _matcher;

    private SpecOperation(string method, string pathTemplate, JsonObject node, JsonArray? pathItemParameters, Regex matcher, IReadOnlyList<string> names)
    {
        Method = method;
        PathTemplate = pathTemplate;
        Node = node;
        PathItemParameters = pathItemParameters;
        _matcher = matcher;
        PathParameterNames = names;
        OperationId = node["operationId"]?.GetValue<string>() ?? $"{method} {pathTemplate}";
        SpecPointer = $"#/paths/{OpenApiSpec.EscapePointer(pathTemplate)}/{method.ToLowerInvariant()}";
    }

    public string Method { get; }

    public string PathTemplate { get; }

    public string OperationId { get; }

    /// <summary>JSON pointer of the operation in the spec, for messages.</summary>
    public string SpecPointer { get; }

    public JsonObject Node { get; }

    public JsonArray? PathItemParameters { get; }

    public IReadOnlyList<string> PathParameterNames { get; }

    internal static SpecOperation Create(string method, string template, JsonObject node, JsonArray? pathItemParameters)
    {
        var names = new List<string>();
        var pattern = new StringBuilder("^");
        var rest = template;
        while (rest.Length > 0)
        {
            var open = rest.IndexOf('{', StringComparison.Ordinal);
            if (open < 0)
            {
                pattern.Append(Regex.Escape(rest));
                break;
            }

            var close = rest.IndexOf('}', open);
            pattern.Append(Regex.Escape(rest[..open])).Append("([^/]+)");
            names.Add(rest[(open + 1)..close]);
            rest = rest[(close + 1)..];
        }

        pattern.Append('$');
        return new SpecOperation(method, template, node, pathItemParameters, new Regex(pattern.ToString(), RegexOptions.CultureInvariant), names);
    }

    /// <summary>The (unescaped) path parameter values when <paramref name="path"/> fits the template; otherwise null.</summary>
    public IReadOnlyDictionary<string, string>? Match(string path)
    {
        var match = _matcher.Match(path);
        if (!match.Success)
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < PathParameterNames.Count; i++)
        {
            values[PathParameterNames[i]] = Uri.UnescapeDataString(match.Groups[i + 1].Value);
        }

        return values;
    }

    public override string ToString() => $"{Method} {PathTemplate} ({OperationId})";
}

/// <param name="DeclaredAs">The responses key that applies ("200", "2XX", "default"), or null when the status is not declared.</param>
/// <param name="HasContent">The response declares a body.</param>
/// <param name="OpenApiSchema">The schema as the spec writes it (for <see cref="OpenApiSpec.UndeclaredProperties"/>).</param>
/// <param name="Schema">The application/json schema, if any.</param>
/// <param name="SchemaName">The schema's $ref or JSON pointer in the spec, for messages.</param>
public sealed record ResponseSpec(string? DeclaredAs, bool HasContent, JsonNode? OpenApiSchema, JsonSchema? Schema, string? SchemaName);

public sealed record RequestBodySpec(bool Declared, bool Required, JsonNode? OpenApiSchema, JsonSchema? Schema, string? SchemaName);

public sealed record ParameterSpec(string Name, string In, bool Required, JsonNode? OpenApiSchema, JsonSchema? Schema)
{
    /// <summary>The OpenAPI <c>type</c> of the parameter, to read its text as JSON (query and path values are text).</summary>
    public string? Type => OpenApiSchema?["type"]?.GetValue<string>();
}

/// <param name="InstanceLocation">JSON pointer into the validated body ("" is the root).</param>
/// <param name="Keyword">The failing JSON Schema keyword.</param>
/// <param name="Message">JsonSchema.Net's message.</param>
/// <param name="EvaluationPath">Where in the schema it failed.</param>
public sealed record SchemaViolation(string InstanceLocation, string Keyword, string Message, string EvaluationPath)
{
    public override string ToString() =>
        $"{(InstanceLocation.Length == 0 ? "(root)" : InstanceLocation)}: {Message} [{Keyword} at {EvaluationPath}]";
}
