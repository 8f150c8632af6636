using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlpacaConnect.Benchmarks;

/// <summary>Latency figures in milliseconds (nearest-rank percentiles).</summary>
internal sealed record Latency(int Count, double P50, double P90, double P99, double Max, double Mean)
{
    public static Latency Of(IEnumerable<double> millis)
    {
        var sorted = millis.Order().ToArray();
        if (sorted.Length == 0)
            return new Latency(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Latency(sorted.Length, Round(At(50)), Round(At(90)), Round(At(99)), Round(sorted[^1]), Round(sorted.Average()));
    }

    public string Short => Count == 0 ? "n/a" : F($"p50 {P50:0.0} / p90 {P90:0.0} / p99 {P99:0.0} / max {Max:0.0} ms");

    private static double Round(double v) => Math.Round(v, 3);

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One line of the printed table.</summary>
internal sealed record Row(string Section, string Metric, string Value, string Target = "", bool? Pass = null)
{
    public string Result => Pass switch { true => "PASS", false => "FAIL", null => "" };
}

/// <summary>The printed table plus the JSON document written to --out.</summary>
internal sealed class Report
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public List<Row> Rows { get; } = [];
    public SortedDictionary<string, object?> Data { get; } = new(StringComparer.Ordinal);
    public List<string> Notes { get; } = [];

    public void Add(string section, string metric, string value, string target = "", bool? pass = null) =>
        Rows.Add(new Row(section, metric, value, target, pass));

    public string Render()
    {
        var headers = new[] { "Section", "Metric", "Value", "Target", "Result" };
        var cells = Rows.Select(r => new[] { r.Section, r.Metric, r.Value, r.Target, r.Result }).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        var sb = new StringBuilder();
        string Line(string[] c) => "| " + string.Join(" | ", c.Select((x, i) => x.PadRight(widths[i]))) + " |";
        var rule = "|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|";
        sb.AppendLine(Line(headers)).AppendLine(rule);
        string? section = null;
        foreach (var row in cells)
        {
            if (section is not null && row[0] != section)
                sb.AppendLine(rule);
            section = row[0];
            sb.AppendLine(Line(row));
        }
        var targets = Rows.Where(r => r.Pass is not null).ToList();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Targets: {targets.Count(r => r.Pass == true)} PASS, {targets.Count(r => r.Pass == false)} FAIL (a measurement: the exit code does not depend on them).");
        foreach (var note in Notes)
            sb.AppendLine("* " + note);
        return sb.ToString();
    }

    public string ToJson()
    {
        var doc = new SortedDictionary<string, object?>(Data, StringComparer.Ordinal)
        {
            ["table"] = Rows.Select(r => new { r.Section, r.Metric, r.Value, r.Target, result = r.Pass is null ? null : r.Result }).ToList(),
            ["notes"] = Notes,
        };
        return JsonSerializer.Serialize(doc, Json);
    }
}
