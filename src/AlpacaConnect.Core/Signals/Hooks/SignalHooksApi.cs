using System.Text.Json;
using System.Text.Json.Nodes;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Core.Signals;

/// <summary>Signal hooks and their subscribers over HTTP (key-authenticated).</summary>
public sealed class SignalHooksApi(SignalHookStore hooks, SignalSubscriberStore subscribers, IOptions<SignalOptions> options)
{
    /// <summary>POST /api/signal-hooks, and what PATCH merges into (RFC 7386) before it is checked the same way.</summary>
    public sealed record HookInput
    {
        public string? Name { get; init; }
        public SignalRules? Rules { get; init; }
        public IReadOnlyList<string>? AllowedSources { get; init; }
    }

    /// <summary>The only time a hook's secret leaves the service: at creation and at rotation. <c>url</c> holds it.</summary>
    public sealed record HookWithSecret(string Id, string Url, string Secret, SignalHookView Hook);

    public sealed record HookList(IReadOnlyList<SignalHookView> Hooks);

    public sealed record PutSubscriberRequest(SubscriberSizing Sizing, bool Enabled = true);

    public sealed record SubscriberList(string HookId, IReadOnlyList<SubscriberView> Subscribers);

    private static readonly HashSet<string> SizingKinds = [SubscriberSizing.FixedQuantity, SubscriberSizing.FixedNotional, SubscriberSizing.PercentOfEquity, SubscriberSizing.Multiplier];

    public async Task<IResult> CreateAsync(HttpRequest request)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await JsonBody.ReadAsync<HookInput>(request, ct);
        if (body is null)
            return problem!;
        var (name, rules, sources) = Normalize(body);
        var errors = HookRulesValidator.Validate(name, rules, sources);
        if (errors.Count > 0)
            return Problems.Validation(errors, "Nothing was stored.");
        var (hook, secret) = await hooks.CreateAsync(name!, rules, sources, ct);
        return new LocationResult(JsonBody.Ok(WithSecret(hook, secret), StatusCodes.Status201Created), "/api/signal-hooks/" + hook.RowKey);
    }

    public async Task<IResult> ListAsync(HttpRequest request) =>
        JsonBody.Ok(new HookList((await hooks.ListAsync(request.HttpContext.RequestAborted)).Select(h => h.ToView()).ToList()));

    public async Task<IResult> GetAsync(HttpRequest request, string hookId) =>
        await hooks.FindAsync(hookId, request.HttpContext.RequestAborted) is { } hook ? JsonBody.Ok(hook.ToView()) : NotFound(hookId);

    /// <summary>PATCH: a JSON merge patch of {name, rules, allowed_sources}; the result is checked as a whole (422, nothing stored).</summary>
    public async Task<IResult> PatchAsync(HttpRequest request, string hookId)
    {
        var ct = request.HttpContext.RequestAborted;
        var (patch, problem) = await JsonBody.ReadAsync<JsonObject>(request, ct);
        if (patch is null)
            return problem!;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var hook = await hooks.FindAsync(hookId, ct);
            if (hook is null)
                return NotFound(hookId);
            var current = JsonSerializer.SerializeToNode(new HookInput { Name = hook.Name, Rules = hook.Rules, AllowedSources = hook.SourceList }, JsonBody.Options)!.AsObject();
            HookInput merged;
            try
            {
                merged = Merge(current, patch).Deserialize<HookInput>(JsonBody.Options)!;
            }
            catch (JsonException ex)
            {
                return Problems.MalformedBody(ex.Message);
            }
            var (name, rules, sources) = Normalize(merged);
            var errors = HookRulesValidator.Validate(name, rules, sources);
            if (errors.Count > 0)
                return Problems.Validation(errors, "Nothing was changed.");
            if (await hooks.TryUpdateAsync(hook, name!, rules, sources, ct))
                return JsonBody.Ok(hook.ToView());
        }
        return Problems.Create(StatusCodes.Status409Conflict, "concurrent-change", "The hook changed while it was patched.", "Read it and try again.");
    }

    public async Task<IResult> DeleteAsync(HttpRequest request, string hookId)
    {
        var ct = request.HttpContext.RequestAborted;
        if (!await hooks.DeleteAsync(hookId, ct))
            return NotFound(hookId);
        await subscribers.DeleteAllAsync(hookId, ct);
        return Results.NoContent();
    }

    /// <summary>POST .../rotate-secret: a new secret (and URL); the previous one keeps working during Signals:RotationOverlap.</summary>
    public async Task<IResult> RotateSecretAsync(HttpRequest request, string hookId) =>
        await hooks.RotateSecretAsync(hookId, request.HttpContext.RequestAborted) is { } rotated
            ? JsonBody.Ok(WithSecret(rotated.Hook, rotated.Secret))
            : NotFound(hookId);

    /// <summary>PUT .../subscribers/{userId}/{env}: 201 when new, 200 when replaced.</summary>
    public async Task<IResult> PutSubscriberAsync(HttpRequest request, string hookId, string userId, string env)
    {
        var ct = request.HttpContext.RequestAborted;
        var (body, problem) = await JsonBody.ReadAsync<PutSubscriberRequest>(request, ct);
        if (body is null)
            return problem!;
        var errors = new Dictionary<string, string[]>();
        UserIds.Check(userId, env, errors);
        var sizing = body.Sizing;
        if (!SizingKinds.Contains(sizing.Kind))
            errors["sizing.kind"] = [$"One of {string.Join(", ", SizingKinds)}."];
        else if (sizing.Value <= 0 || sizing.Value > (sizing.Kind switch { SubscriberSizing.PercentOfEquity => 100m, SubscriberSizing.Multiplier => 1000m, _ => 1_000_000_000m }))
            errors["sizing.value"] = [sizing.Kind switch
            {
                SubscriberSizing.PercentOfEquity => "A percent greater than 0 and at most 100.",
                SubscriberSizing.Multiplier => "A multiplier greater than 0 and at most 1000.",
                _ => "Greater than 0 and at most 1000000000.",
            }];
        if (errors.Count > 0)
            return Problems.Validation(errors, "Nothing was stored.");
        if (await hooks.FindAsync(hookId, ct) is null)
            return NotFound(hookId);
        var created = await subscribers.PutAsync(new SignalSubscriber
        {
            HookId = hookId,
            UserId = userId,
            Env = env,
            Sizing = sizing,
            Enabled = body.Enabled,
        }, ct);
        var stored = (await subscribers.ListAsync(hookId, ct)).First(s => s.UserId == userId && s.Env == env);
        return JsonBody.Ok(stored.ToView(), created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    public async Task<IResult> DeleteSubscriberAsync(HttpRequest request, string hookId, string userId, string env)
    {
        var ct = request.HttpContext.RequestAborted;
        if (await hooks.FindAsync(hookId, ct) is null)
            return NotFound(hookId);
        return UserIds.IsValid(userId) && await subscribers.DeleteAsync(hookId, userId, env, ct)
            ? Results.NoContent()
            : Problems.NotFound($"User '{userId}' ({env}) does not follow hook '{hookId}'.");
    }

    public async Task<IResult> ListSubscribersAsync(HttpRequest request, string hookId)
    {
        var ct = request.HttpContext.RequestAborted;
        if (await hooks.FindAsync(hookId, ct) is null)
            return NotFound(hookId);
        return JsonBody.Ok(new SubscriberList(hookId, (await subscribers.ListAsync(hookId, ct)).Select(s => s.ToView()).ToList()));
    }

    private HookWithSecret WithSecret(SignalHookEntity hook, string secret) => new(hook.RowKey, AlertUrl(hook.RowKey, secret), secret, hook.ToView());

    public string AlertUrl(string hookId, string secret) =>
        new Uri(options.Value.PublicBaseUrl ?? new Uri("http://localhost:7071"), $"/api/signals/{hookId}/{secret}").AbsoluteUri;

    /// <summary>Symbols as Alpaca writes them (upper case); sources without repeats.</summary>
    private static (string? Name, SignalRules Rules, IReadOnlyList<string> Sources) Normalize(HookInput input)
    {
        var rules = input.Rules ?? new SignalRules();
        if (rules.AllowedSymbols is { } symbols)
            rules = rules with { AllowedSymbols = symbols.Select(s => s?.Trim().ToUpperInvariant() ?? "").Distinct().ToList() };
        return (input.Name?.Trim(), rules, (input.AllowedSources ?? []).Select(s => s?.Trim() ?? "").Distinct().ToList());
    }

    /// <summary>RFC 7386: objects merge, null removes, anything else replaces.</summary>
    private static JsonObject Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null)
                target.Remove(key);
            else if (value is JsonObject patchObject && target[key] is JsonObject targetObject)
                Merge(targetObject, patchObject);
            else
                target[key] = value.DeepClone();
        }
        return target;
    }

    private static IResult NotFound(string hookId) => Problems.NotFound($"No signal hook '{hookId}'.");
}
