using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AlpacaConnect.Sandbox.Http;

/// <summary>Alpaca's wire formats: money and quantities as strings, UTC timestamps with a Z.</summary>
internal static class Wire
{
    public static string Num(decimal value) =>
        Math.Round(value, 9).ToString("0.#########", CultureInfo.InvariantCulture);

    public static string? Num(decimal? value) => value is { } v ? Num(v) : null;

    public static string Money(decimal value) => Num(Math.Round(value, 2));

    public static string Ts(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static string? Ts(DateTimeOffset? value) => value is { } v ? Ts(v) : null;

    /// <summary>Stable ids: the same input always maps to the same GUID (first 16 bytes of SHA-256).</summary>
    public static Guid StableGuid(string input)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(input));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version nibble 5 (name-based), so it looks like a real UUID
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    public static ulong StableNumber(string input) =>
        BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(input)), 0);

    /// <summary>Parses RFC 3339 timestamps or plain dates (YYYY-MM-DD, taken as UTC midnight) like Alpaca's filters.</summary>
    public static bool TryParseTime(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            value = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }
}
