using System.ComponentModel.DataAnnotations;

namespace AlpacaConnect.Core.Signals;

/// <summary>The fan-out's settings (section <c>Signals</c>).</summary>
public sealed class SignalFanOutOptions
{
    public const string Section = "Signals";

    /// <summary>Subscribers worked on at once. Alpaca limits each account, not the app, so this is about this process and its storage.</summary>
    [Range(1, 1024)]
    public int FanOutConcurrency { get; set; } = 64;

    /// <summary>How long an account's equity (percent-of-equity sizing) is reused: a burst of signals reads it once (Alpaca allows 200 calls/min per account).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan EquityCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long Alpaca's clock is reused (never past its next open or close).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClockCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a reversal waits for its closing order to fill (and an exit for its cancels to finish) before it stops with flatten_pending.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan FlattenTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
