using AlpacaConnect.Core.Connect;

namespace AlpacaConnect.UnitTests.Connect;

public sealed class PkceTests
{
    [Fact]
    public void The_challenge_is_S256_of_the_verifier_as_in_RFC_7636_appendix_B() =>
        Assert.Equal("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Pkce.Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));

    [Fact]
    public void Verifiers_are_fresh_and_within_the_RFCs_alphabet_and_length()
    {
        var verifiers = Enumerable.Range(0, 100).Select(_ => Pkce.NewVerifier()).ToList();
        Assert.Equal(100, verifiers.Distinct(StringComparer.Ordinal).Count());
        Assert.All(verifiers, v => Assert.Matches("^[A-Za-z0-9._~-]{43,128}$", v));
    }
}
