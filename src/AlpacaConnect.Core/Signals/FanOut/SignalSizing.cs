using System.Globalization;

namespace AlpacaConnect.Core.Signals;

/// <summary>An order's size as Alpaca takes it: a qty or a notional, never both.</summary>
public sealed record OrderSize(decimal? Qty, decimal? Notional)
{
    /// <summary>Shares, or shares at <paramref name="price"/> for a notional; null when that cannot be known.</summary>
    public decimal? EstimatedQty(decimal? price) => Qty ?? (price is > 0 && Notional is { } n ? n / price.Value : null);

    /// <summary>Dollars, or qty at <paramref name="price"/>; null when that cannot be known.</summary>
    public decimal? EstimatedNotional(decimal? price) => Notional ?? (price is { } p && Qty is { } q ? q * p : null);

    public string? QtyText => Qty?.ToString("0.#########", CultureInfo.InvariantCulture);
    public string? NotionalText => Notional?.ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>
/// How big each subscriber's order is. The subscriber's sizing wins over the alert's
/// quantity/quantityType, unless it is a multiplier, which scales the alert's quantity read in the
/// alert's quantityType (shares by default). Whole shares unless the subscriber allows fractions and
/// the order can carry them (Alpaca: simple market day orders); sizes round down, and one that rounds
/// to zero is refused.
/// </summary>
public static class SignalSizing
{
    /// <summary>Alpaca takes fractional quantities to 9 decimals.</summary>
    public const int FractionalDigits = 9;

    public static bool NeedsEquity(SubscriberSizing sizing, SignalAlert alert) =>
        sizing.Kind == SubscriberSizing.PercentOfEquity
        || (sizing.Kind == SubscriberSizing.Multiplier && alert.QuantityType == SubscriberSizing.PercentOfEquity);

    /// <param name="equity">The account's equity; needed only when <see cref="NeedsEquity"/>.</param>
    /// <param name="price">The best price known for the order (its limit or stop, the alert's, the position's); null when none.</param>
    /// <param name="fractionalOrder">The order may carry a fractional qty or a notional (the subscriber allows it, and it is a simple market day order).</param>
    /// <returns>The size, or the refusal ("code: sentence").</returns>
    public static (OrderSize? Size, string? Refusal) Size(SubscriberSizing sizing, SignalAlert alert, decimal? equity, decimal? price, bool fractionalOrder)
    {
        var (kind, amount) = (sizing.Kind, sizing.Value);
        if (kind == SubscriberSizing.Multiplier)
        {
            if (alert.Quantity is not > 0)
                return Refuse(SignalReasons.QuantityMissing, "the subscriber's size is a multiple of the alert's quantity, and the alert gave none.");
            (kind, amount) = (alert.QuantityType ?? SubscriberSizing.FixedQuantity, alert.Quantity.Value * sizing.Value);
        }
        if (kind == SubscriberSizing.PercentOfEquity)
        {
            if (equity is not > 0)
                return Refuse(SignalReasons.SizeZero, "the account has no equity to size a percent-of-equity order from.");
            (kind, amount) = (SubscriberSizing.FixedNotional, equity.Value * amount / 100m);
        }

        if (kind == SubscriberSizing.FixedQuantity)
        {
            var qty = fractionalOrder ? Truncate(amount, FractionalDigits) : decimal.Floor(amount);
            return qty > 0 ? (new OrderSize(qty, null), null) : Refuse(SignalReasons.SizeZero, $"{Text(amount)} shares round down to 0 (whole shares only unless fractional is allowed on a market day order).");
        }
        if (kind != SubscriberSizing.FixedNotional)
            return Refuse(SignalReasons.InvalidOrder, $"unknown sizing '{kind}'.");

        if (fractionalOrder)
        {
            var notional = Truncate(amount, 2);
            return notional > 0 ? (new OrderSize(null, notional), null) : Refuse(SignalReasons.SizeZero, $"${Text(amount)} rounds down to $0.00.");
        }
        if (price is not > 0)
            return Refuse(SignalReasons.PriceUnknown, $"${Text(amount)} in whole shares needs a price, and the alert gave none (price, limitPrice) and no position shows one.");
        var shares = decimal.Floor(amount / price.Value);
        return shares > 0
            ? (new OrderSize(shares, null), null)
            : Refuse(SignalReasons.SizeZero, $"${Text(amount)} buys no whole share at {Text(price.Value)}.");
    }

    public static decimal Truncate(decimal value, int digits) => Math.Round(value, digits, MidpointRounding.ToZero);

    private static (OrderSize?, string?) Refuse(string code, string sentence) => (null, SignalReasons.Format(code, sentence));

    internal static string Text(decimal value) => value.ToString("0.#########", CultureInfo.InvariantCulture);
}
