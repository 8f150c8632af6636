using AlpacaConnect.Core.Connect;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Health;
using AlpacaConnect.Core.Http;
using AlpacaConnect.Core.Trading;
using AlpacaConnect.Core.Webhooks;

namespace AlpacaConnect.Server;

/// <summary>The same routes, methods and auth levels as the Functions app (see AlpacaConnect.Functions).</summary>
internal static class ApiRoutes
{
    public static void MapApi(this WebApplication app)
    {
        var api = app.MapGroup("/api");

        // Anonymous, like AuthorizationLevel.Anonymous functions: browsers and probes land here.
        api.MapGet("/health", (HttpRequest r, HealthApi health) => health.CheckAsync(r));
        api.MapGet("/oauth/authorize", (HttpRequest r, ConnectApi connect) => connect.AuthorizeAsync(r));
        api.MapGet("/oauth/callback", (HttpRequest r, ConnectApi connect) => connect.CallbackAsync(r));

        // Function-level: the caller's key is checked first.
        var keyed = api.MapGroup("").AddEndpointFilter<FunctionKeyFilter>();
        keyed.MapPost("/connect-links", (HttpRequest r, ConnectApi connect) => connect.CreateLinkAsync(r));
        keyed.MapGet("/connections/{userId}", (HttpRequest r, string userId, ConnectionsApi connections) => connections.ListAsync(r, userId));
        keyed.MapDelete("/connections/{userId}/{env}", (HttpRequest r, string userId, string env, ConnectionsApi connections) => connections.DisconnectAsync(r, userId, env));
        keyed.MapGet("/connections/{userId}/{env}/account", (HttpRequest r, string userId, string env, BrokerageReadsApi reads) => reads.AccountAsync(r, userId, env));
        keyed.MapGet("/connections/{userId}/{env}/positions", (HttpRequest r, string userId, string env, BrokerageReadsApi reads) => reads.PositionsAsync(r, userId, env));
        keyed.MapGet("/connections/{userId}/{env}/orders", (HttpRequest r, string userId, string env, BrokerageReadsApi reads) => reads.OrdersAsync(r, userId, env));

        keyed.MapPost("/trades", (HttpRequest r, TradesApi trades) => trades.AcceptAsync(r));
        keyed.MapGet("/trades/{id}", (HttpRequest r, string id, TradesApi trades) => trades.GetAsync(r, id));
        keyed.MapDelete("/trades/{id}", (HttpRequest r, string id, TradesApi trades) => trades.CancelAsync(r, id));

        keyed.MapPost("/webhooks/subscriptions", (HttpRequest r, WebhooksApi webhooks) => webhooks.CreateAsync(r));
        keyed.MapGet("/webhooks/subscriptions", (HttpRequest r, WebhooksApi webhooks) => webhooks.ListAsync(r));
        keyed.MapGet("/webhooks/subscriptions/{id}", (HttpRequest r, string id, WebhooksApi webhooks) => webhooks.GetAsync(r, id));
        keyed.MapDelete("/webhooks/subscriptions/{id}", (HttpRequest r, string id, WebhooksApi webhooks) => webhooks.DeleteAsync(r, id));
        keyed.MapPost("/webhooks/subscriptions/{id}/rotate-secret", (HttpRequest r, string id, WebhooksApi webhooks) => webhooks.RotateSecretAsync(r, id));
        keyed.MapPost("/webhooks/subscriptions/{id}/test", (HttpRequest r, string id, WebhooksApi webhooks) => webhooks.SendTestAsync(r, id));
        keyed.MapGet("/webhooks/subscriptions/{id}/deliveries", (HttpRequest r, string id, WebhooksApi webhooks) => webhooks.SubscriptionDeliveriesAsync(r, id));
        keyed.MapPost("/webhooks/subscriptions/{id}/deliveries/{eventId}/redeliver", (HttpRequest r, string id, string eventId, WebhooksApi webhooks) => webhooks.RedeliverAsync(r, id, eventId));
        keyed.MapGet("/webhooks/events/{eventId}/deliveries", (HttpRequest r, string eventId, WebhooksApi webhooks) => webhooks.EventDeliveriesAsync(r, eventId));

        app.MapFallback(() => Problems.NotFound("No such route. The API lives under /api."));
    }
}
