using System.Text.Json;
using AlpacaConnect.Core.Alpaca;
using AlpacaConnect.Core.Trading;

namespace AlpacaConnect.UnitTests.Trading;

/// <summary>Where each of Alpaca's order statuses (ALPACA.md, trading-api.json's OrderStatus) leaves a trade.</summary>
public sealed class TradeStatusTests
{
    private static string From(string alpacaStatus, string? filledQty = "0") =>
        TradeStatus.FromAlpaca(new AlpacaOrder { Id = "ord-1", Status = alpacaStatus, FilledQty = filledQty });

    /// <summary>Every status Alpaca's spec lists, with where it leaves a trade that has nothing filled yet.</summary>
    public static TheoryData<string, string> Unfilled => new()
    {
        { "new", TradeStatus.Submitted },
        { "partially_filled", TradeStatus.PartiallyFilled },
        { "filled", TradeStatus.Filled },
        { "done_for_day", TradeStatus.Submitted },
        { "canceled", TradeStatus.Canceled },
        { "expired", TradeStatus.Expired },
        { "replaced", TradeStatus.Canceled },
        { "pending_cancel", TradeStatus.Submitted },
        { "pending_replace", TradeStatus.Submitted },
        { "accepted", TradeStatus.Submitted },
        { "pending_new", TradeStatus.Submitted },
        { "accepted_for_bidding", TradeStatus.Submitted },
        { "stopped", TradeStatus.Submitted },
        { "rejected", TradeStatus.Rejected },
        { "suspended", TradeStatus.Submitted },
        { "calculated", TradeStatus.Submitted },
        { "held", TradeStatus.Submitted },
    };

    [Theory]
    [MemberData(nameof(Unfilled))]
    public void Each_alpaca_status_of_an_order_with_nothing_filled(string alpacaStatus, string expected) =>
        Assert.Equal(expected, From(alpacaStatus));

    [Theory]
    [InlineData("new")]
    [InlineData("done_for_day")]
    [InlineData("pending_cancel")]
    [InlineData("pending_replace")]
    [InlineData("accepted")]
    [InlineData("stopped")]
    [InlineData("suspended")]
    [InlineData("calculated")]
    [InlineData("held")]
    public void A_working_order_with_shares_filled_is_partially_filled(string alpacaStatus)
    {
        Assert.Equal(TradeStatus.PartiallyFilled, From(alpacaStatus, "3"));
        Assert.Equal(TradeStatus.PartiallyFilled, From(alpacaStatus, "0.5"));
    }

    [Theory]
    [InlineData("filled", TradeStatus.Filled)]
    [InlineData("canceled", TradeStatus.Canceled)]
    [InlineData("expired", TradeStatus.Expired)]
    [InlineData("replaced", TradeStatus.Canceled)]
    [InlineData("rejected", TradeStatus.Rejected)]
    public void An_ended_order_ends_the_trade_whatever_was_filled(string alpacaStatus, string expected) =>
        Assert.Equal(expected, From(alpacaStatus, "3"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("0.000")]
    [InlineData("not a number")]
    public void A_working_order_without_a_readable_positive_fill_is_submitted(string? filledQty) =>
        Assert.Equal(TradeStatus.Submitted, From("new", filledQty));

    [Fact]
    public void A_status_alpaca_adds_later_keeps_the_trade_followed_as_submitted()
    {
        Assert.Equal(TradeStatus.Submitted, From("some_future_status"));
        Assert.True(TradeStatus.IsOpen(From("some_future_status")));
    }

    [Fact]
    public void Terminal_at_alpaca_and_closed_here_agree_for_every_status()
    {
        foreach (var row in Unfilled)
        {
            var alpacaStatus = (string)row[0];
            // done_for_day resumes next session: open on both sides.
            Assert.Equal(AlpacaOrderStatuses.IsTerminal(alpacaStatus), !TradeStatus.IsOpen(From(alpacaStatus)));
        }
    }

    [Fact]
    public void The_statuses_above_are_every_order_status_in_alpacas_spec()
    {
        var spec = Path.Combine(RepositoryRoot(), "tests", "AlpacaConnect.IntegrationTests", "Conformance", "Alpaca", "trading-api.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(spec));
        var listed = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("OrderStatus").GetProperty("enum")
            .EnumerateArray().Select(e => e.GetString()!).Order().ToList();

        Assert.Equal(listed, Unfilled.Select(row => (string)row[0]).Order().ToList());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AlpacaConnectFunctions.sln")))
                return dir.FullName;
        throw new InvalidOperationException("AlpacaConnectFunctions.sln not found above " + AppContext.BaseDirectory);
    }
}
