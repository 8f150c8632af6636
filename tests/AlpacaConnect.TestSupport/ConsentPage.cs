using System.Net;
using System.Text.RegularExpressions;

namespace AlpacaConnect.TestSupport;

/// <summary>Reads the Sandbox's consent form the way a browser would and submits it.</summary>
public static partial class ConsentPage
{
    public static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, Uri consentUrl, string decision, string username = "sandbox-user")
    {
        using var page = await browser.GetAsync(consentUrl);
        if (page.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"Consent page {consentUrl}: HTTP {(int)page.StatusCode}.");
        var html = await page.Content.ReadAsStringAsync();

        var form = FormTag().Match(html);
        if (!form.Success)
            throw new InvalidOperationException("The consent page has no form.");
        var action = new Uri(consentUrl, WebUtility.HtmlDecode(Attribute(form.Value, "action") ?? consentUrl.AbsolutePath));
        var fields = new List<KeyValuePair<string, string>>();
        foreach (Match input in InputTag().Matches(html))
        {
            var name = Attribute(input.Value, "name");
            var type = Attribute(input.Value, "type") ?? "text";
            if (name is null || type is "submit")
                continue;
            var value = name == "username" ? username : WebUtility.HtmlDecode(Attribute(input.Value, "value") ?? "");
            fields.Add(new(name, value));
        }
        fields.Add(new("decision", decision));
        return await browser.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    private static string? Attribute(string tag, string name)
    {
        var match = Regex.Match(tag, $"""\b{name}\s*=\s*("([^"]*)"|'([^']*)')""", RegexOptions.IgnoreCase);
        return match.Success ? (match.Groups[2].Success ? match.Groups[2].Value : match.Groups[3].Value) : null;
    }

    [GeneratedRegex("<form[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex FormTag();

    [GeneratedRegex("<input[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InputTag();
}
