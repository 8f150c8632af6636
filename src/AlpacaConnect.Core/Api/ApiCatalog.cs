using AlpacaConnect.Core.Agents;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Connect;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Health;
using AlpacaConnect.Core.Schedules;
using AlpacaConnect.Core.Signals;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.Core.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AlpacaConnect.Core.Api;

/// <summary>One response an endpoint can give: status, body type (null = none) and what it means.</summary>
public sealed record ApiResponse(int Status, Type? Body, string Description, string ContentType = "application/json");

/// <summary>
/// One HTTP endpoint: the single description of it that the Server maps, the OpenAPI document is
/// generated from, and the Functions app's metadata is checked against (a test), so the three
/// cannot drift apart.
/// </summary>
public sealed record ApiEndpoint(
    string Name,
    string Method,
    string Route,
    bool Keyed,
    string Tag,
    string Summary,
    Type? RequestBody,
    IReadOnlyList<ApiResponse> Responses,
    Func<HttpRequest, Task<IResult>> Handle)
{
    /// <summary>Query and header parameters beyond the route's.</summary>
    public IReadOnlyList<ApiParameter> Parameters { get; init; } = [];

    /// <summary>Headers every answer of this endpoint carries (name and what it is for).</summary>
    public IReadOnlyList<ApiHeader> ResponseHeaders { get; init; } = [];

    public IEnumerable<string> RouteParameters =>
        Route.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}'));
}

/// <summary>A query or header parameter.</summary>
public sealed record ApiParameter(string Name, string In, bool Required, string Description);

/// <summary>A response header.</summary>
public sealed record ApiHeader(string Name, string Description);

public static class ApiCatalog
{
    private static T Api<T>(HttpRequest r) where T : notnull => r.HttpContext.RequestServices.GetRequiredService<T>();

    private static string Route(HttpRequest r, string name) => r.RouteValues[name]?.ToString() ?? "";

    private static ApiResponse Ok(Type body, string description = "OK") => new(200, body, description);
    private static readonly ApiResponse Problem400 = new(400, typeof(ProblemBody), "Malformed request (problem+json).", "application/problem+json");
    private static readonly ApiResponse Problem401 = new(401, typeof(ProblemBody), "Missing or wrong function key.", "application/problem+json");
    private static readonly ApiResponse Problem404 = new(404, typeof(ProblemBody), "Not found.", "application/problem+json");
    private static readonly ApiResponse Problem409 = new(409, typeof(ProblemBody), "Conflict with the current state.", "application/problem+json");
    private static readonly ApiResponse Problem415 = new(415, typeof(ProblemBody), "The body is not sent as application/json (problem+json).", "application/problem+json");
    private static readonly ApiResponse Problem422 = new(422, typeof(ProblemBody), "Validation failed; errors lists each field.", "application/problem+json");
    private static readonly ApiResponse Problem429 = new(429, typeof(ProblemBody), "Alpaca's rate limit for the account; see Retry-After.", "application/problem+json");
    private static readonly ApiResponse Problem502 = new(502, typeof(ProblemBody), "Alpaca did not answer.", "application/problem+json");
    private static readonly ApiResponse SignalBodyTooLarge = new(413, typeof(ProblemBody), "The alert body is larger than Signals:MaxBodyBytes.", "application/problem+json");
    private static readonly ApiResponse SourceLimited = new(429, typeof(ProblemBody), "Too many failed alerts from this address this minute; see Retry-After.", "application/problem+json");
    private static readonly ApiResponse Page = new(400, null, "A readable HTML page that says what went wrong.", "text/html");
    private static readonly ApiResponse Redirect = new(302, null, "Redirect (Location header).");

    /// <summary>The browser endpoints' URLs carry the state and the code (Http/PrivateBrowserResult).</summary>
    private static readonly IReadOnlyList<ApiHeader> PrivateBrowserHeaders =
    [
        new("Cache-Control", "no-store: no cache keeps an answer whose URL holds the state or the code."),
        new("Referrer-Policy", "no-referrer: the browser never sends this URL on as a Referer."),
    ];

    public static readonly IReadOnlyList<ApiEndpoint> All =
    [
        new("Health", "GET", "health", false, "Operations", "Storage reachability.", null,
            [Ok(typeof(HealthApi.HealthReport)), new(503, typeof(HealthApi.HealthReport), "Storage is not reachable.")],
            r => Api<HealthApi>(r).CheckAsync(r)),

        new("CreateConnectLink", "POST", "connect-links", true, "Connect", "A single-use, short-lived authorize URL for one of your users.",
            typeof(ConnectApi.CreateLinkRequest), [new(201, typeof(ConnectApi.CreateLinkResponse), "Created."), Problem400, Problem401, Problem415, Problem422],
            r => Api<ConnectApi>(r).CreateLinkAsync(r)),
        new("Authorize", "GET", "oauth/authorize", false, "Connect",
            "Browser entry: redeems a link (?link=) or a signed link (user_id, env, return_url, expires, signature) and redirects to Alpaca's consent page.",
            null, [Redirect, Page, new(403, null, "Signature does not match (HTML page).", "text/html"), new(404, null, "Unknown link (HTML page).", "text/html"), new(410, null, "Expired or used link (HTML page).", "text/html")],
            r => Api<ConnectApi>(r).AuthorizeAsync(r))
        {
            ResponseHeaders = PrivateBrowserHeaders,
            Parameters =
            [
                new("link", "query", false, "The single-use link id from POST /connect-links."),
                new("user_id", "query", false, "Signed link: your user id."),
                new("env", "query", false, "Signed link: paper or live."),
                new("return_url", "query", false, "Signed link: where to send the user back (allowlisted origin)."),
                new("expires", "query", false, "Signed link: unix seconds, at most Connect:LinkLifetime ahead."),
                new("signature", "query", false, "Signed link: base64url HMAC-SHA256 with the link-signing secret."),
            ],
        },
        new("OAuthCallback", "GET", "oauth/callback", false, "Connect",
            "Alpaca's redirect back (code, state or error): stores the connection and redirects to the return URL with alpaca_connect=connected|error.",
            null, [Redirect, new(200, null, "The state already connected the account (Back, then Allow again): an HTML page linking back to the app; nothing is exchanged or stored.", "text/html"), Page],
            r => Api<ConnectApi>(r).CallbackAsync(r))
        {
            ResponseHeaders = PrivateBrowserHeaders,
            Parameters =
            [
                new("state", "query", true, "The state this app issued."),
                new("code", "query", false, "Alpaca's authorization code."),
                new("error", "query", false, "Alpaca's OAuth error, e.g. access_denied."),
            ],
        },

        new("ListConnections", "GET", "connections/{userId}", true, "Connections", "A user's connections, never with a token.", null,
            [Ok(typeof(ConnectionsApi.ConnectionList)), Problem401, Problem422], r => Api<ConnectionsApi>(r).ListAsync(r, Route(r, "userId"))),
        new("Disconnect", "DELETE", "connections/{userId}/{env}", true, "Connections", "Removes the token; the record stays as disconnected.", null,
            [new(204, null, "Disconnected."), Problem401, Problem404, Problem422], r => Api<ConnectionsApi>(r).DisconnectAsync(r, Route(r, "userId"), Route(r, "env"))),
        new("GetAccount", "GET", "connections/{userId}/{env}/account", true, "Connections", "Alpaca's account, read with the user's token.", null,
            [Ok(typeof(AlpacaAccount)), Problem401, Problem404, Problem409, Problem422, Problem429, Problem502],
            r => Api<BrokerageReadsApi>(r).AccountAsync(r, Route(r, "userId"), Route(r, "env"))),
        new("GetPositions", "GET", "connections/{userId}/{env}/positions", true, "Connections", "Alpaca's open positions, read with the user's token.", null,
            [Ok(typeof(List<AlpacaPosition>)), Problem401, Problem404, Problem409, Problem422, Problem429, Problem502],
            r => Api<BrokerageReadsApi>(r).PositionsAsync(r, Route(r, "userId"), Route(r, "env"))),
        new("GetOrders", "GET", "connections/{userId}/{env}/orders", true, "Connections", "Alpaca's orders (?status=open|closed|all&limit=1..500).", null,
            [Ok(typeof(List<AlpacaOrder>)), Problem401, Problem404, Problem409, Problem422, Problem429, Problem502],
            r => Api<BrokerageReadsApi>(r).OrdersAsync(r, Route(r, "userId"), Route(r, "env")))
        {
            Parameters = [new("status", "query", false, "open (default), closed or all."), new("limit", "query", false, "1 to 500, default 50.")],
        },

        new("AcceptTrade", "POST", "trades", true, "Trades",
            "Validates, records and queues a trade; requires an Idempotency-Key header. Same key and body answer the same trade.",
            typeof(TradeRequest), [new(202, typeof(TradesApi.TradeAccepted), "Accepted (Location: the status URL)."), Problem400, Problem401, Problem409, Problem415, Problem422],
            r => Api<TradesApi>(r).AcceptAsync(r))
        {
            Parameters = [new("Idempotency-Key", "header", true, "1-255 printable characters, unique per trade; a retry with the same key never places a second order.")],
        },
        new("GetTrade", "GET", "trades/{id}", true, "Trades", "Status, history, Alpaca order id and fills.", null,
            [Ok(typeof(Trade)), Problem401, Problem404], r => Api<TradesApi>(r).GetAsync(r, Route(r, "id"))),
        new("CancelTrade", "DELETE", "trades/{id}", true, "Trades", "Cancels at Alpaca, or as soon as the order gets there.", null,
            [new(202, typeof(Trade), "Cancel requested."), Problem401, Problem404, Problem409, Problem429, Problem502], r => Api<TradesApi>(r).CancelAsync(r, Route(r, "id"))),

        new("CreateAgentToken", "POST", "agent-tokens", true, "Agents",
            "Issues an agent token for one user (envs, tools, limits, expiry) for the MCP endpoint /api/mcp; the token is shown once and stored hashed.",
            typeof(CreateAgentTokenRequest), [new(201, typeof(AgentTokenCreated), "Issued."), Problem400, Problem401, Problem415, Problem422],
            r => Api<AgentTokensApi>(r).CreateAsync(r)),
        new("ListAgentTokens", "GET", "agent-tokens", true, "Agents", "A user's agent tokens (?user_id=), never the tokens themselves.", null,
            [Ok(typeof(AgentTokenList)), Problem401, Problem422], r => Api<AgentTokensApi>(r).ListAsync(r))
        {
            Parameters = [new("user_id", "query", true, "The app's user id.")],
        },
        new("RevokeAgentToken", "DELETE", "agent-tokens/{id}", true, "Agents", "Revokes an agent token at once (it stays listed as revoked).", null,
            [new(204, null, "Revoked."), Problem401, Problem404], r => Api<AgentTokensApi>(r).RevokeAsync(r, Route(r, "id"))),

        new("CreateSchedule", "POST", "schedules", true, "Schedules",
            "A recurring trade: cron (5 or 6 fields) in an IANA time zone, an order template, optional start, end and max occurrences, the market-closed policy.",
            typeof(CreateScheduleRequest), [new(201, typeof(ScheduleView), "Created (id, next_run_at)."), Problem400, Problem401, Problem415, Problem422],
            r => Api<SchedulesApi>(r).CreateAsync(r)),
        new("ListSchedules", "GET", "schedules", true, "Schedules", "A user's schedules (?user_id=, optional &env=).", null,
            [Ok(typeof(ScheduleList)), Problem401, Problem422], r => Api<SchedulesApi>(r).ListAsync(r))
        {
            Parameters = [new("user_id", "query", true, "The app's user id."), new("env", "query", false, "paper or live; both when left out.")],
        },
        new("GetSchedule", "GET", "schedules/{id}", true, "Schedules", "One schedule with its next occurrence and run.", null,
            [Ok(typeof(ScheduleView)), Problem401, Problem404], r => Api<SchedulesApi>(r).GetAsync(r, Route(r, "id"))),
        new("UpdateSchedule", "PATCH", "schedules/{id}", true, "Schedules", "Changes the fields given; a change of timing points it at its next occurrence from now.",
            typeof(UpdateScheduleRequest), [Ok(typeof(ScheduleView)), Problem400, Problem401, Problem404, Problem409, Problem415, Problem422],
            r => Api<SchedulesApi>(r).UpdateAsync(r, Route(r, "id"))),
        new("DeleteSchedule", "DELETE", "schedules/{id}", true, "Schedules", "Deletes a schedule; its placed trades stay.", null,
            [new(204, null, "Deleted."), Problem401, Problem404, Problem409], r => Api<SchedulesApi>(r).DeleteAsync(r, Route(r, "id"))),
        new("PauseSchedule", "POST", "schedules/{id}/pause", true, "Schedules", "Stops firing until resumed.", null,
            [Ok(typeof(ScheduleView)), Problem401, Problem404, Problem409], r => Api<SchedulesApi>(r).PauseAsync(r, Route(r, "id"))),
        new("ResumeSchedule", "POST", "schedules/{id}/resume", true, "Schedules", "Fires again from the next occurrence after now (no catch-up of what fell due while paused).", null,
            [Ok(typeof(ScheduleView)), Problem401, Problem404, Problem409, Problem422], r => Api<SchedulesApi>(r).ResumeAsync(r, Route(r, "id"))),
        new("ListScheduleOccurrences", "GET", "schedules/{id}/occurrences", true, "Schedules",
            "The schedule's recent occurrences (newest first): each placed one with its trade id and status, each skipped one with why.", null,
            [Ok(typeof(OccurrenceList)), Problem401, Problem404], r => Api<SchedulesApi>(r).OccurrencesAsync(r, Route(r, "id"))),

        new("CreateWebhookSubscription", "POST", "webhooks/subscriptions", true, "Webhooks", "Subscribes a URL to events; the signing secret is shown once.",
            typeof(WebhooksApi.CreateSubscriptionRequest), [new(201, typeof(WebhooksApi.SubscriptionWithSecret), "Created."), Problem400, Problem401, Problem415, Problem422],
            r => Api<WebhooksApi>(r).CreateAsync(r)),
        new("ListWebhookSubscriptions", "GET", "webhooks/subscriptions", true, "Webhooks", "All subscriptions (no secrets).", null,
            [Ok(typeof(WebhooksApi.SubscriptionList)), Problem401], r => Api<WebhooksApi>(r).ListAsync(r)),
        new("GetWebhookSubscription", "GET", "webhooks/subscriptions/{id}", true, "Webhooks", "One subscription (no secret).", null,
            [Ok(typeof(WebhookSubscription)), Problem401, Problem404], r => Api<WebhooksApi>(r).GetAsync(r, Route(r, "id"))),
        new("DeleteWebhookSubscription", "DELETE", "webhooks/subscriptions/{id}", true, "Webhooks", "Deletes a subscription.", null,
            [new(204, null, "Deleted."), Problem401, Problem404], r => Api<WebhooksApi>(r).DeleteAsync(r, Route(r, "id"))),
        new("RotateWebhookSecret", "POST", "webhooks/subscriptions/{id}/rotate-secret", true, "Webhooks",
            "A new secret; the previous one keeps signing (second signature) during the overlap.", null,
            [Ok(typeof(WebhooksApi.SubscriptionWithSecret)), Problem401, Problem404], r => Api<WebhooksApi>(r).RotateSecretAsync(r, Route(r, "id"))),
        new("SendTestWebhook", "POST", "webhooks/subscriptions/{id}/test", true, "Webhooks", "Queues a webhook.test event to this subscription.", null,
            [new(202, typeof(WebhooksApi.EventQueued), "Queued."), Problem401, Problem404], r => Api<WebhooksApi>(r).SendTestAsync(r, Route(r, "id"))),
        new("ListSubscriptionDeliveries", "GET", "webhooks/subscriptions/{id}/deliveries", true, "Webhooks", "Every delivery attempt to this subscription.", null,
            [Ok(typeof(WebhooksApi.SubscriptionDeliveries)), Problem401, Problem404], r => Api<WebhooksApi>(r).SubscriptionDeliveriesAsync(r, Route(r, "id"))),
        new("RedeliverWebhook", "POST", "webhooks/subscriptions/{id}/deliveries/{eventId}/redeliver", true, "Webhooks",
            "Sends a past (e.g. dead-lettered) event again, same webhook-id, schedule restarted.", null,
            [new(202, typeof(WebhooksApi.EventQueued), "Queued."), Problem401, Problem404], r => Api<WebhooksApi>(r).RedeliverAsync(r, Route(r, "id"), Route(r, "eventId"))),
        new("ListEventDeliveries", "GET", "webhooks/events/{eventId}/deliveries", true, "Webhooks", "Every delivery attempt of one event, across subscriptions.", null,
            [Ok(typeof(WebhooksApi.EventDeliveries)), Problem401, Problem404], r => Api<WebhooksApi>(r).EventDeliveriesAsync(r, Route(r, "eventId"))),

        new("CreateSignalHook", "POST", "signal-hooks", true, "Signals",
            "Creates an alert hook with its rules; the answer's url (with the secret in its path) and secret are shown once, the secret is stored hashed.",
            typeof(SignalHooksApi.HookInput), [new(201, typeof(SignalHooksApi.HookWithSecret), "Created."), Problem400, Problem401, Problem415, Problem422],
            r => Api<SignalHooksApi>(r).CreateAsync(r)),
        new("ListSignalHooks", "GET", "signal-hooks", true, "Signals", "Every hook (no secrets).", null,
            [Ok(typeof(SignalHooksApi.HookList)), Problem401], r => Api<SignalHooksApi>(r).ListAsync(r)),
        new("GetSignalHook", "GET", "signal-hooks/{hookId}", true, "Signals", "One hook and its rules (no secret).", null,
            [Ok(typeof(SignalHookView)), Problem401, Problem404], r => Api<SignalHooksApi>(r).GetAsync(r, Route(r, "hookId"))),
        new("PatchSignalHook", "PATCH", "signal-hooks/{hookId}", true, "Signals",
            "A JSON merge patch of name, rules and allowed_sources (e.g. {\"rules\":{\"paused\":true}}, the kill switch); the result is checked whole.",
            typeof(SignalHooksApi.HookInput), [Ok(typeof(SignalHookView)), Problem400, Problem401, Problem404, Problem409, Problem415, Problem422],
            r => Api<SignalHooksApi>(r).PatchAsync(r, Route(r, "hookId"))),
        new("DeleteSignalHook", "DELETE", "signal-hooks/{hookId}", true, "Signals", "Deletes a hook and its subscriptions; its signal log stays readable by signal id.", null,
            [new(204, null, "Deleted."), Problem401, Problem404], r => Api<SignalHooksApi>(r).DeleteAsync(r, Route(r, "hookId"))),
        new("RotateSignalHookSecret", "POST", "signal-hooks/{hookId}/rotate-secret", true, "Signals",
            "A new secret and URL; the previous secret keeps working during Signals:RotationOverlap.", null,
            [Ok(typeof(SignalHooksApi.HookWithSecret)), Problem401, Problem404], r => Api<SignalHooksApi>(r).RotateSecretAsync(r, Route(r, "hookId"))),
        new("PutSignalSubscriber", "PUT", "signal-hooks/{hookId}/subscribers/{userId}/{env}", true, "Signals",
            "Makes a connection follow the hook, with its sizing and an enabled flag (201 new, 200 replaced).",
            typeof(SignalHooksApi.PutSubscriberRequest), [Ok(typeof(SubscriberView)), new(201, typeof(SubscriberView), "Created."), Problem400, Problem401, Problem404, Problem415, Problem422],
            r => Api<SignalHooksApi>(r).PutSubscriberAsync(r, Route(r, "hookId"), Route(r, "userId"), Route(r, "env"))),
        new("DeleteSignalSubscriber", "DELETE", "signal-hooks/{hookId}/subscribers/{userId}/{env}", true, "Signals", "Stops a connection following the hook.", null,
            [new(204, null, "Removed."), Problem401, Problem404], r => Api<SignalHooksApi>(r).DeleteSubscriberAsync(r, Route(r, "hookId"), Route(r, "userId"), Route(r, "env"))),
        new("ListSignalSubscribers", "GET", "signal-hooks/{hookId}/subscribers", true, "Signals", "Who follows the hook, with their sizing.", null,
            [Ok(typeof(SignalHooksApi.SubscriberList)), Problem401, Problem404], r => Api<SignalHooksApi>(r).ListSubscribersAsync(r, Route(r, "hookId"))),
        new("ListSignals", "GET", "signal-hooks/{hookId}/signals", true, "Signals", "The hook's signals, newest first (?limit=1..200&after=<next>).", null,
            [Ok(typeof(SignalLogApi.SignalPage)), Problem401, Problem404, Problem422], r => Api<SignalLogApi>(r).ListAsync(r, Route(r, "hookId")))
        {
            Parameters = [new("limit", "query", false, "1 to 200, default 50."), new("after", "query", false, "The previous page's next.")],
        },
        new("GetSignal", "GET", "signals/{id}", true, "Signals", "One signal: what it said, its status, and each subscriber's outcome with its trades' current status.", null,
            [Ok(typeof(SignalLogApi.SignalDetail)), Problem401, Problem404], r => Api<SignalLogApi>(r).GetAsync(r, Route(r, "id"))),
        new("ReceiveSignal", "POST", "signals/{hookId}/{secret}", false, "Signals",
            "An alert (TradingView and the like): any content type, TradersPost's fields. 202 once recorded (duplicates too); 404 for an unknown hook or wrong secret.",
            typeof(AlertBody), [new(202, typeof(SignalIntake.SignalAccepted), "Recorded (or a duplicate of a recorded one)."), Problem400, Problem404, SignalBodyTooLarge, Problem422, SourceLimited],
            r => Api<SignalIntake>(r).ReceiveAsync(r, Route(r, "hookId"), Route(r, "secret"))),
        new("ReceiveSignalWithPassphrase", "POST", "signals/{id}", false, "Signals",
            "The same to the hook {id}, with the hook's secret as the body's passphrase field instead of in the URL.",
            typeof(AlertBody), [new(202, typeof(SignalIntake.SignalAccepted), "Recorded (or a duplicate of a recorded one)."), Problem400, Problem404, SignalBodyTooLarge, Problem422, SourceLimited],
            r => Api<SignalIntake>(r).ReceiveAsync(r, Route(r, "id"), null)),

        new("GetOpenApiDocument", "GET", "openapi.json", false, "Operations", "This document.", null,
            [Ok(typeof(object), "OpenAPI 3.1 document.")], r => Task.FromResult(OpenApiDocument.Result(r))),
    ];

    /// <summary>RFC 9457 problem details as this API sends them.</summary>
    public sealed record ProblemBody(
        string Type,
        string Title,
        int Status,
        string? Detail = null,
        Dictionary<string, string[]>? Errors = null,
        [property: System.Text.Json.Serialization.JsonPropertyName("traceId")] string? TraceId = null);
}
