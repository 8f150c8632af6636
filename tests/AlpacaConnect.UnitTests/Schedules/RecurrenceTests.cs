using System.Globalization;
using AlpacaConnect.Core.Schedules;

namespace AlpacaConnect.UnitTests.Schedules;

/// <summary>
/// Occurrence computation (Cronos in the schedule's IANA zone): local times across standard and
/// daylight time, a local time that does not exist (spring forward) and one that happens twice
/// (fall back) in America/New_York and Europe/Berlin, and what README says about each.
/// </summary>
public sealed class RecurrenceTests
{
    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static Recurrence Of(string cron, string zone) => Recurrence.Of(cron, zone);

    private static List<DateTimeOffset> Occurrences(Recurrence r, string from, int count)
    {
        var list = new List<DateTimeOffset>();
        var at = Utc(from);
        while (list.Count < count && r.Next(at) is { } next)
            list.Add(at = next);
        return list;
    }

    [Fact]
    public void A_new_york_morning_fires_at_1445_utc_in_winter_and_1345_utc_in_summer()
    {
        var r = Of("45 9 * * *", "America/New_York");
        Assert.Equal(Utc("2026-12-02T14:45:00Z"), r.Next(Utc("2026-12-02T05:00:00Z")));
        Assert.Equal(Utc("2027-06-01T13:45:00Z"), r.Next(Utc("2027-06-01T05:00:00Z")));
    }

    [Fact]
    public void New_york_spring_forward_fires_a_missing_local_time_once_right_after_the_gap()
    {
        // 2027-03-14: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist that day.
        var r = Of("30 2 * * *", "America/New_York");
        Assert.Equal(
            [Utc("2027-03-13T07:30:00Z"), Utc("2027-03-14T07:00:00Z"), Utc("2027-03-15T06:30:00Z")],
            Occurrences(r, "2027-03-13T00:00:00Z", 3));
    }

    [Fact]
    public void New_york_fall_back_fires_a_doubled_local_time_once_at_its_first_instance()
    {
        // 2027-11-07: 02:00 EDT falls back to 01:00 EST; 01:30 happens at 05:30Z and again at 06:30Z.
        var r = Of("30 1 * * *", "America/New_York");
        Assert.Equal(
            [Utc("2027-11-06T05:30:00Z"), Utc("2027-11-07T05:30:00Z"), Utc("2027-11-08T06:30:00Z")],
            Occurrences(r, "2027-11-06T00:00:00Z", 3));
    }

    [Fact]
    public void An_expression_that_repeats_within_the_hour_fires_in_both_instances_of_a_doubled_hour()
    {
        var r = Of("*/30 * * * *", "America/New_York");
        Assert.Equal(
            [Utc("2027-11-07T05:00:00Z"), Utc("2027-11-07T05:30:00Z"), Utc("2027-11-07T06:00:00Z"), Utc("2027-11-07T06:30:00Z"), Utc("2027-11-07T07:00:00Z")],
            Occurrences(r, "2027-11-07T04:59:00Z", 5));
    }

    [Fact]
    public void Berlin_spring_forward_and_fall_back_behave_the_same_way()
    {
        // 2027-03-28: 02:00 CET jumps to 03:00 CEST. 2027-10-31: 03:00 CEST falls back to 02:00 CET.
        var r = Of("30 2 * * *", "Europe/Berlin");
        Assert.Equal([Utc("2027-03-27T01:30:00Z"), Utc("2027-03-28T01:00:00Z"), Utc("2027-03-29T00:30:00Z")], Occurrences(r, "2027-03-27T00:00:00Z", 3));
        Assert.Equal([Utc("2027-10-30T00:30:00Z"), Utc("2027-10-31T00:30:00Z"), Utc("2027-11-01T01:30:00Z")], Occurrences(r, "2027-10-30T00:00:00Z", 3));
    }

    [Fact]
    public void Six_fields_put_seconds_first()
    {
        var r = Of("15 0 10 * * MON", "UTC");
        Assert.Equal(Utc("2026-12-07T10:00:15Z"), r.Next(Utc("2026-12-02T00:00:00Z")));
    }

    [Theory]
    [InlineData("* * * *", null, "cron")]
    [InlineData("0 0 0 * * * *", null, "cron")]
    [InlineData("@daily", null, "cron")]
    [InlineData("61 * * * *", null, "cron")]
    [InlineData("0 10 * * MON", "Mars/Olympus_Mons", "time_zone")]
    [InlineData("0 10 * * MON", "Eastern Standard Time", "time_zone")]
    [InlineData("", "", "cron,time_zone")]
    public void Bad_expressions_and_unknown_zones_are_named(string cron, string? zone, string fields)
    {
        var errors = new Dictionary<string, string[]>();
        Assert.Null(Recurrence.TryCreate(cron, zone ?? "UTC", errors));
        Assert.Equal(fields.Split(',').Order(), errors.Keys.Order());
    }

    [Fact]
    public void Due_gives_the_latest_occurrence_and_counts_those_it_passes_over()
    {
        var r = Of("0 * * * *", "UTC");
        var (latest, passed, first) = r.Due(Utc("2026-12-02T10:00:00Z"), Utc("2026-12-02T13:20:00Z"));
        Assert.Equal(Utc("2026-12-02T13:00:00Z"), latest);
        Assert.Equal(3, passed);
        Assert.Equal(Utc("2026-12-02T10:00:00Z"), first);

        var (only, none, noFirst) = r.Due(Utc("2026-12-02T13:00:00Z"), Utc("2026-12-02T13:00:30Z"));
        Assert.Equal(Utc("2026-12-02T13:00:00Z"), only);
        Assert.Equal(0, none);
        Assert.Null(noFirst);
    }

    [Fact]
    public void An_occurrence_moved_out_of_a_dst_gap_is_due_at_its_moved_time()
    {
        // Cronos moves 02:30 to 03:00 EDT (07:00Z), which "30 2 * * *" does not match by itself.
        var r = Of("30 2 * * *", "America/New_York");
        var moved = r.Next(Utc("2027-03-13T12:00:00Z"))!.Value;
        Assert.Equal(Utc("2027-03-14T07:00:00Z"), moved);
        Assert.Equal((moved, 0, (DateTimeOffset?)null), r.Due(moved, Utc("2027-03-14T07:00:10Z")));
    }

    [Fact]
    public void Due_after_a_long_outage_of_a_schedule_with_seconds_still_finds_the_latest()
    {
        var r = Of("* * * * * *", "UTC");
        var (latest, passed, _) = r.Due(Utc("2026-12-01T00:00:00Z"), Utc("2026-12-02T13:20:05Z"));
        Assert.Equal(Utc("2026-12-02T13:20:05Z"), latest);
        Assert.Equal(Recurrence.MaxCounted, passed);
    }

    [Fact]
    public void Start_end_and_max_occurrences_bound_the_next_run()
    {
        var s = new ScheduleEntity { Cron = "0 10 * * *", TimeZone = "UTC", StartAt = Utc("2026-12-05T10:00:00Z"), EndAt = Utc("2026-12-06T12:00:00Z") };
        s.ScheduleNext(Utc("2026-12-02T00:00:00Z"));
        Assert.Equal(Utc("2026-12-05T10:00:00Z"), s.NextRunAt);
        s.ScheduleNext(Utc("2026-12-05T10:00:00Z"));
        Assert.Equal(Utc("2026-12-06T10:00:00Z"), s.NextRunAt);
        s.ScheduleNext(Utc("2026-12-06T10:00:00Z"));
        Assert.Null(s.NextRunAt);
        Assert.Equal(ScheduleStatus.Completed, s.Status);

        var capped = new ScheduleEntity { Cron = "0 10 * * *", TimeZone = "UTC", MaxOccurrences = 2, Placed = 2 };
        capped.ScheduleNext(Utc("2026-12-02T00:00:00Z"));
        Assert.Equal(ScheduleStatus.Completed, capped.Status);
    }
}
