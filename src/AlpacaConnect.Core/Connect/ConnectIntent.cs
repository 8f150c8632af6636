using AlpacaConnect.Core.Alpaca;

namespace AlpacaConnect.Core.Connect;

/// <summary>Who is connecting, to which env, and where they go back afterwards. Bound to every link and state.</summary>
public sealed record ConnectIntent(string UserId, AlpacaEnv Env, Uri ReturnUrl);
