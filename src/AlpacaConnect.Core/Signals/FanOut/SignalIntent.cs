namespace AlpacaConnect.Core.Signals;

/// <summary>What an alert asks of each subscriber, from its action and sentiment (TradersPost's vocabulary).</summary>
public enum SignalIntent
{
    /// <summary>buy: enter long (or add to a long).</summary>
    Buy,
    /// <summary>sell: enter short when the hook allows shorting, else exit the long.</summary>
    Sell,
    /// <summary>add: enter more in the direction of the position held (long when none, short if the sentiment says so).</summary>
    Add,
    /// <summary>exit, or any action with sentiment flat: cancel open orders in the symbol, then close the position.</summary>
    Exit,
    /// <summary>cancel: cancel open orders in the symbol.</summary>
    Cancel,
}

public static class SignalIntents
{
    /// <summary>Null for an action outside the vocabulary.</summary>
    public static SignalIntent? From(SignalAlert alert)
    {
        if (alert.Action == "cancel")
            return SignalIntent.Cancel;
        if (alert.Action == "exit" || alert.Sentiment == "flat")
            return SignalIntent.Exit;
        return alert.Action switch
        {
            "buy" => SignalIntent.Buy,
            "sell" => SignalIntent.Sell,
            "add" => SignalIntent.Add,
            _ => null,
        };
    }

    public static bool SaysShort(SignalAlert alert) => alert.Sentiment is "short" or "bearish";

    public static bool SaysLong(SignalAlert alert) => alert.Sentiment is "long" or "bullish";
}
