using AlpacaConnect.Core.Alpaca;
using Azure;
using Azure.Data.Tables;

namespace AlpacaConnect.Core.Connections;

/// <summary>
/// Which app user holds an Alpaca account in an env: one row per (account id, env), so "is this
/// account connected to another user" is one point read, never a scan of the connections.
/// <para>
/// The row is a pointer, not the truth. A claim counts while its owner's connection row is active on
/// that account, or for <see cref="PendingClaim"/> after it was made (the owner's connection is
/// written right after the claim). So a user who disconnected, was revoked or reconnected to another
/// account never blocks anyone: the row is left in place on disconnect and taken over, ETag-guarded,
/// by the next user who connects the account.
/// </para>
/// </summary>
internal sealed class AccountOwners(TableClient owners, Func<string, AlpacaEnv, CancellationToken, Task<ConnectionEntity?>> findConnection, TimeProvider time)
{
    /// <summary>How long a claim holds before its owner's connection row shows it (a crash in between frees it after this).</summary>
    public static readonly TimeSpan PendingClaim = TimeSpan.FromMinutes(1);

    private const int Attempts = 4;

    /// <summary>
    /// Claims the account for <paramref name="userId"/>. Returns null when the user holds it now (or
    /// may share it), else the user id of the one who does.
    /// </summary>
    public async Task<string?> ClaimAsync(string userId, AlpacaEnv env, string accountId, bool allowShared, CancellationToken ct)
    {
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var now = time.GetUtcNow();
            var found = await owners.GetEntityIfExistsAsync<TableEntity>(accountId, env.ToWire(), cancellationToken: ct);
            try
            {
                if (!found.HasValue)
                {
                    await owners.AddEntityAsync(Row(accountId, env, userId, now), ct);
                    return null;
                }
                var row = found.Value!;
                var owner = row.GetString("UserId");
                // The owner again (a reconnect), or a claim that no longer holds: (re)claim it. The
                // ETag makes two users racing for one row see each other: one of them re-reads.
                if (owner == userId || !await HoldsAsync(owner, env, accountId, row.GetDateTimeOffset("ClaimedAt") ?? DateTimeOffset.MinValue, now, ct))
                {
                    await owners.UpdateEntityAsync(Row(accountId, env, userId, now), row.ETag, TableUpdateMode.Replace, ct);
                    return null;
                }
                // Shared on purpose: the first holder keeps the row, so turning refusal on later still protects them.
                return allowShared ? null : owner;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < Attempts)
            {
                // Someone claimed or re-claimed it in between: look again.
            }
        }
        throw new InvalidOperationException("Unreachable: the last attempt rethrows.");
    }

    private async Task<bool> HoldsAsync(string owner, AlpacaEnv env, string accountId, DateTimeOffset claimedAt, DateTimeOffset now, CancellationToken ct)
    {
        var connection = await findConnection(owner, env, ct);
        if (connection is { Status: ConnectionStatus.Active } && connection.AccountId == accountId)
            return true;
        // Just claimed, and the owner's connection not yet written over since: still being connected.
        return claimedAt > now - PendingClaim && (connection is null || connection.UpdatedAt < claimedAt);
    }

    private static TableEntity Row(string accountId, AlpacaEnv env, string userId, DateTimeOffset now) => new(accountId, env.ToWire())
    {
        ["UserId"] = userId,
        ["ClaimedAt"] = now,
    };
}
