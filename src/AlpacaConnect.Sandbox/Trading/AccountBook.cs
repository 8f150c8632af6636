using System.Collections.Concurrent;
using System.Globalization;
using AlpacaConnect.Sandbox.Http;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Sandbox.Trading;

internal sealed class Holding(Asset asset)
{
    public Asset Asset { get; } = asset;

    public decimal Qty { get; set; }

    public decimal CostBasis { get; set; }

    public decimal AvgEntryPrice => Qty == 0 ? 0 : CostBasis / Qty;
}

internal sealed record FillRecord(
    string Id, DateTimeOffset At, string Type, decimal Price, decimal Qty, string Side, string Symbol,
    decimal LeavesQty, Guid OrderId, decimal CumQty, string OrderStatus);

/// <summary>One simulated Alpaca account (a user has one per env). Guard every access with <see cref="Gate"/>.</summary>
internal sealed class AccountState(string username, TradingEnv env, decimal cash, DateTimeOffset createdAt)
{
    public object Gate { get; } = new();

    public string Username { get; } = username;

    public TradingEnv Env { get; } = env;

    /// <summary>Stable per username and env, so a re-authorized user sees the same account.</summary>
    public Guid Id { get; } = Wire.StableGuid($"account|{username}|{env.Name()}");

    public string AccountNumber { get; } = env == TradingEnv.Paper
        ? "PA" + (Wire.StableNumber($"number|{username}|paper") % 10_000_000_000UL).ToString("D10", CultureInfo.InvariantCulture)
        : (Wire.StableNumber($"number|{username}|live") % 1_000_000_000UL).ToString("D9", CultureInfo.InvariantCulture);

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public decimal Cash { get; set; } = cash;

    public Dictionary<string, Holding> Positions { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every order and leg, oldest first.</summary>
    public List<SimOrder> Orders { get; } = [];

    public Dictionary<Guid, SimOrder> ById { get; } = [];

    /// <summary>Client order ids stay taken after cancel: Alpaca refuses reuse.</summary>
    public Dictionary<string, SimOrder> ByClientOrderId { get; } = new(StringComparer.Ordinal);

    public List<FillRecord> Fills { get; } = [];

    public void Add(SimOrder order)
    {
        Orders.Add(order);
        ById[order.Id] = order;
        ByClientOrderId[order.ClientOrderId] = order;
    }
}

/// <summary>All simulated accounts, created on first use.</summary>
internal sealed class AccountBook(IOptions<SandboxOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Username, TradingEnv Env), AccountState> _accounts = new();

    public AccountState Get(string username, TradingEnv env) =>
        _accounts.GetOrAdd((username, env), key => new AccountState(key.Username, key.Env, options.Value.StartingCash, time.GetUtcNow()));

    public IEnumerable<AccountState> Existing(string? username, TradingEnv? env) =>
        _accounts.Values.Where(a => (username is null || a.Username == username) && (env is null || a.Env == env));

    public void Reset() => _accounts.Clear();
}
