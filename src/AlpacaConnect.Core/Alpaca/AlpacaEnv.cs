namespace AlpacaConnect.Core.Alpaca;

/// <summary>Alpaca's two trading environments; a token is bound to the one it was authorized for.</summary>
public enum AlpacaEnv
{
    Paper,
    Live,
}

public static class AlpacaEnvNames
{
    public static string ToWire(this AlpacaEnv env) => env == AlpacaEnv.Live ? "live" : "paper";

    /// <summary>Exactly "paper" or "live", as Alpaca spells them.</summary>
    public static bool TryParse(string? value, out AlpacaEnv env)
    {
        switch (value)
        {
            case "paper": env = AlpacaEnv.Paper; return true;
            case "live": env = AlpacaEnv.Live; return true;
            default: env = default; return false;
        }
    }
}
