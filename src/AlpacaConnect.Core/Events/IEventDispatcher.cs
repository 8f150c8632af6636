namespace AlpacaConnect.Core.Events;

/// <summary>
/// Where committed events go (the webhooks fan them out to subscribers). The outbox asks it before a
/// write whether anyone wants an event, so an event nobody wants is never written, and hands it over
/// after the write committed.
/// </summary>
public interface IEventDispatcher
{
    /// <summary>Whether anyone takes events of this type now. Must be cheap: it is asked on every write.</summary>
    ValueTask<bool> WantsAsync(string eventType, CancellationToken ct);

    /// <summary>Hands a committed event on. Throws when it could not; the outbox sweep tries again.</summary>
    Task DispatchAsync(DomainEvent e, CancellationToken ct);
}
