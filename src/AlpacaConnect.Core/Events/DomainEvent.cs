using System.Text.Json;
using System.Text.Json.Nodes;
using AlpacaConnect.Core.Http;

namespace AlpacaConnect.Core.Events;

/// <summary>
/// Something that happened, as every consumer sees it: <c>{"type","timestamp","data"}</c> plus an id
/// that stays the same however often it is handed on, so consumers can drop duplicates.
/// <see cref="Version"/> is the version of the data's shape for its type: 1 for every type today.
/// </summary>
public sealed record DomainEvent(string Id, string Type, DateTimeOffset Timestamp, JsonObject Data, int Version = DomainEvent.CurrentVersion)
{
    public const int CurrentVersion = 1;

    public static DomainEvent Create(string type, DateTimeOffset at, object data) =>
        new("evt_" + Guid.CreateVersion7().ToString("N"), type, at, (JsonObject)JsonSerializer.SerializeToNode(data, JsonBody.Options)!);

    /// <summary>The envelope as JSON: what a webhook receiver gets, signed.</summary>
    public string Payload() => JsonSerializer.Serialize(new { type = Type, timestamp = Timestamp, data = Data }, JsonBody.Options);
}
