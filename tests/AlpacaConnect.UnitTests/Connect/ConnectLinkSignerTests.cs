using AlpacaConnect.Core.Connect;

namespace AlpacaConnect.UnitTests.Connect;

public sealed class ConnectLinkSignerTests
{
    [Fact]
    public void A_signature_verifies_only_for_the_exact_fields_and_secret()
    {
        var signature = ConnectLinkSigner.Signature("secret", "alice", "paper", "https://app.example.com/x", 1_800_000_000);
        Assert.True(ConnectLinkSigner.Verify("secret", "alice", "paper", "https://app.example.com/x", 1_800_000_000, signature));
        Assert.False(ConnectLinkSigner.Verify("secret", "bob", "paper", "https://app.example.com/x", 1_800_000_000, signature));
        Assert.False(ConnectLinkSigner.Verify("secret", "alice", "live", "https://app.example.com/x", 1_800_000_000, signature));
        Assert.False(ConnectLinkSigner.Verify("secret", "alice", "paper", "https://app.example.com/y", 1_800_000_000, signature));
        Assert.False(ConnectLinkSigner.Verify("secret", "alice", "paper", "https://app.example.com/x", 1_800_000_001, signature));
        Assert.False(ConnectLinkSigner.Verify("other", "alice", "paper", "https://app.example.com/x", 1_800_000_000, signature));
        // Field boundaries are unambiguous: moving a character between fields changes the signature.
        Assert.False(ConnectLinkSigner.Verify("secret", "alicepaper", "", "https://app.example.com/x", 1_800_000_000, signature));
    }

    [Fact]
    public void The_documented_example_signature_is_stable()
    {
        // README shows how to sign in any language; this pins the algorithm it describes:
        // base64url(HMAC-SHA256(secret, "alice\npaper\nhttps://app.example.com/x\n1800000000")), no padding.
        var signature = ConnectLinkSigner.Signature("secret", "alice", "paper", "https://app.example.com/x", 1_800_000_000);
        using var hmac = new System.Security.Cryptography.HMACSHA256("secret"u8.ToArray());
        var expected = Convert.ToBase64String(hmac.ComputeHash("alice\npaper\nhttps://app.example.com/x\n1800000000"u8.ToArray()))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(expected, signature);
    }
}
