using AlpacaConnect.Core.Alpaca;

namespace AlpacaConnect.Core.Connect;

/// <summary>
/// The return URL with the flow's result: <c>alpaca_connect</c>, <c>env</c> and, on errors,
/// <c>reason</c>, each exactly once. The app's own query (as it was written) and fragment are kept;
/// a result the URL already carries (an app that returns to a page showing one, or one that puts the
/// env in its return URL) is replaced, never repeated.
/// </summary>
internal static class ConnectResultUrl
{
    private static readonly string[] Ours = [ConnectFlow.ResultParameter, ConnectFlow.EnvParameter, ConnectFlow.ReasonParameter];

    public static Uri Build(Uri returnUrl, AlpacaEnv env, string? reason)
    {
        var kept = returnUrl.Query.TrimStart('?')
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(pair => !Ours.Contains(Name(pair), StringComparer.Ordinal));
        List<string> result =
        [
            $"{ConnectFlow.ResultParameter}={(reason is null ? "connected" : "error")}",
            $"{ConnectFlow.EnvParameter}={env.ToWire()}",
        ];
        if (reason is not null)
            result.Add($"{ConnectFlow.ReasonParameter}={Uri.EscapeDataString(reason)}");
        return new Uri(returnUrl.GetLeftPart(UriPartial.Path) + "?" + string.Join('&', kept.Concat(result)) + returnUrl.Fragment);
    }

    private static string Name(string pair) => Uri.UnescapeDataString(pair.Split('=', 2)[0].Replace('+', ' '));
}
