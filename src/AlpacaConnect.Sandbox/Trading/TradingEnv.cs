namespace AlpacaConnect.Sandbox.Trading;

/// <summary>Alpaca's two trading hosts, served here under /paper and /live.</summary>
public enum TradingEnv
{
    Paper,
    Live,
}

internal static class TradingEnvNames
{
    public static string Name(this TradingEnv env) => env == TradingEnv.Paper ? "paper" : "live";

    public static bool TryParse(string? text, out TradingEnv env)
    {
        env = text == "live" ? TradingEnv.Live : TradingEnv.Paper;
        return text is "paper" or "live";
    }
}
