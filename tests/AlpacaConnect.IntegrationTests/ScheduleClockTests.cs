using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using AlpacaConnect.Core.Events;
using AlpacaConnect.Core.Schedules;
using AlpacaConnect.Core.Webhooks;
using AlpacaConnect.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AlpacaConnect.IntegrationTests;

/// <summary>
/// Schedules against a moved clock: DST both ways in New York and Berlin, downtime, end date and
/// max occurrences, pause and resume, the market closed, two runners at once and a crash between
/// placing and advancing, each counted in Sandbox orders. Server-only: the app's TimeProvider is a
/// FakeTimeProvider and the crash is injected, which only works in this process (the Functions
/// host's timer path is <see cref="ScheduleTests{THost}"/>). Each test starts its own system at
/// the date it needs. The Server's own timers are monthly here (the yearly test default is more
/// than Task.Delay's 49.7 days from most dates); where a test moves the clock past the 1st, they run
/// beside the test's own runs, which exactly-once has to hold against anyway.
/// </summary>
public sealed class ScheduleClockTests
{
    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static readonly Dictionary<string, string?> MonthlyTimers = new()
    {
        ["Trading:StatusSyncSchedule"] = "0 0 0 1 * *",
        ["Webhooks:SweepSchedule"] = "0 0 0 1 * *",
        ["Schedules:TimerSchedule"] = "0 0 0 1 * *",
    };

    private static async Task<(TestSystem System, FakeTimeProvider Time)> StartAsync(DateTimeOffset at, string user, Action<IServiceCollection>? more = null)
    {
        var time = new FakeTimeProvider(at);
        var system = await TestSystem.StartAsync(settings: MonthlyTimers, overrideServices: s =>
        {
            s.AddSingleton<TimeProvider>(time);
            more?.Invoke(s);
        });
        await system.ConnectAsync(user);
        return (system, time);
    }

    private static async Task<string> CreateAsync(TestSystem s, string user, string cron, string zone, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["user_id"] = user, ["env"] = "paper", ["cron"] = cron, ["time_zone"] = zone, ["order"] = Scheduling.DcaOrder };
        if (extra is not null)
            foreach (var p in JsonSerializer.SerializeToElement(extra).EnumerateObject())
                body[p.Name] = p.Value;
        return (await s.CreateScheduleAsync(body)).GetProperty("id").GetString()!;
    }

    private static void MoveTo(FakeTimeProvider time, DateTimeOffset at) => time.AdjustTime(at);

    private static List<DateTimeOffset> Placed(List<JsonElement> occurrences) =>
        occurrences.Where(o => o.GetProperty("outcome").GetString() == "placed").Select(o => o.Time("occurrence_at")).Order().ToList();

    [Fact]
    public async Task New_york_0945_fires_at_1445_utc_in_winter_and_1345_utc_in_summer_across_the_spring_change()
    {
        var (s, time) = await StartAsync(Utc("2027-03-12T15:00:00Z"), "ada");
        await using var owned = s;
        var id = await CreateAsync(s, "ada", "45 9 * * *", "America/New_York");
        Assert.Equal(Utc("2027-03-13T14:45:00Z"), (await s.GetScheduleAsync(id)).Time("next_run_at"));

        MoveTo(time, Utc("2027-03-13T14:45:20Z"));
        await s.RunSchedulesAsync();
        Assert.Equal(Utc("2027-03-14T13:45:00Z"), (await s.GetScheduleAsync(id)).Time("next_run_at"));
        MoveTo(time, Utc("2027-03-14T13:45:20Z"));
        await s.RunSchedulesAsync();

        Assert.Equal([Utc("2027-03-13T14:45:00Z"), Utc("2027-03-14T13:45:00Z")], Placed(await s.OccurrencesAsync(id)));
        Assert.Equal(2, (await s.SandboxOrdersAsync("ada")).Count);
    }

    [Fact]
    public async Task A_missing_and_a_doubled_local_time_each_fire_once_in_new_york_and_berlin()
    {
        var (s, time) = await StartAsync(Utc("2027-03-13T12:00:00Z"), "bea");
        await using var owned = s;
        // 02:30 does not exist on 2027-03-14 in New York (fires at 03:00 EDT) nor on 2027-03-28 in Berlin (03:00 CEST).
        var ny = await CreateAsync(s, "bea", "30 2 * * *", "America/New_York", new { end_at = "2027-03-14T12:00:00Z" });
        var berlin = await CreateAsync(s, "bea", "30 2 * * *", "Europe/Berlin");
        foreach (var at in new[] { "2027-03-14T07:00:10Z", "2027-03-14T08:00:10Z" })
        {
            MoveTo(time, Utc(at));
            await s.RunSchedulesAsync();
        }
        Assert.Equal([Utc("2027-03-14T07:00:00Z")], Placed(await s.OccurrencesAsync(ny)));
        Assert.Equal("completed", (await s.GetScheduleAsync(ny)).GetProperty("status").GetString());

        // Berlin: pause over the weeks between, resume just before each change (no catch-up in between).
        await s.PostScheduleActionAsync(berlin, "pause");
        MoveTo(time, Utc("2027-03-27T12:00:00Z"));
        await s.PostScheduleActionAsync(berlin, "resume");
        MoveTo(time, Utc("2027-03-28T01:00:10Z"));
        await s.RunSchedulesAsync();
        await s.PostScheduleActionAsync(berlin, "pause");
        // 02:30 happens twice on 2027-10-31 in Berlin (00:30Z CEST, 01:30Z CET): once, at the first.
        MoveTo(time, Utc("2027-10-30T12:00:00Z"));
        await s.PostScheduleActionAsync(berlin, "resume");
        foreach (var at in new[] { "2027-10-31T00:30:10Z", "2027-10-31T01:30:10Z", "2027-10-31T02:00:00Z" })
        {
            MoveTo(time, Utc(at));
            await s.RunSchedulesAsync();
        }
        Assert.Equal([Utc("2027-03-28T01:00:00Z"), Utc("2027-10-31T00:30:00Z")], Placed(await s.OccurrencesAsync(berlin)));
        Assert.Equal(Utc("2027-11-01T01:30:00Z"), (await s.GetScheduleAsync(berlin)).Time("next_run_at"));
        Assert.Equal(3, (await s.SandboxOrdersAsync("bea")).Count);
    }

    [Fact]
    public async Task Downtime_runs_the_latest_due_occurrence_once_if_young_and_records_the_rest_as_missed()
    {
        var (s, time) = await StartAsync(Utc("2027-05-03T10:10:00Z"), "cal");
        await using var owned = s;
        var id = await CreateAsync(s, "cal", "0 * * * *", "UTC");

        // Due twice in one run (11:00, 12:00 and 13:00 by 13:02): the latest runs, the two before are one "missed" record.
        MoveTo(time, Utc("2027-05-03T13:02:00Z"));
        await s.RunSchedulesAsync();
        await s.RunSchedulesAsync();
        var occurrences = await s.OccurrencesAsync(id);
        Assert.Equal([Utc("2027-05-03T13:00:00Z")], Placed(occurrences));
        var missed = Assert.Single(occurrences, o => o.GetProperty("outcome").GetString() == "skipped");
        Assert.Equal(("missed", 2, Utc("2027-05-03T11:00:00Z")), (missed.GetProperty("reason").GetString(), missed.GetProperty("count").GetInt32(), missed.Time("occurrence_at")));

        // Down longer than Schedules:MissedRunWindow (10 min) past the latest: nothing runs, it is recorded.
        MoveTo(time, Utc("2027-05-03T15:30:00Z"));
        await s.RunSchedulesAsync();
        var later = await s.OccurrencesAsync(id);
        Assert.Equal("missed", later[0].GetProperty("reason").GetString());
        Assert.Equal(Utc("2027-05-03T15:00:00Z"), later[0].Time("occurrence_at"));
        Assert.Equal(Utc("2027-05-03T16:00:00Z"), (await s.GetScheduleAsync(id)).Time("next_run_at"));
        Assert.Single(await s.SandboxOrdersAsync("cal"));
    }

    [Fact]
    public async Task End_date_and_max_occurrences_complete_a_schedule_and_pause_resume_does_not_catch_up()
    {
        var (s, time) = await StartAsync(Utc("2027-05-03T10:10:00Z"), "dee");
        await using var owned = s;
        var capped = await CreateAsync(s, "dee", "0 * * * *", "UTC", new { max_occurrences = 2 });
        var ending = await CreateAsync(s, "dee", "30 * * * *", "UTC", new { end_at = "2027-05-03T11:45:00Z" });
        var paused = await CreateAsync(s, "dee", "15 * * * *", "UTC");
        await s.PostScheduleActionAsync(paused, "pause");

        foreach (var at in new[] { "2027-05-03T11:00:05Z", "2027-05-03T11:15:05Z", "2027-05-03T11:30:05Z", "2027-05-03T12:00:05Z", "2027-05-03T12:30:05Z", "2027-05-03T13:00:05Z" })
        {
            MoveTo(time, Utc(at));
            await s.RunSchedulesAsync();
        }
        Assert.Equal([Utc("2027-05-03T11:00:00Z"), Utc("2027-05-03T12:00:00Z")], Placed(await s.OccurrencesAsync(capped)));
        Assert.Equal([Utc("2027-05-03T11:30:00Z")], Placed(await s.OccurrencesAsync(ending)));
        foreach (var id in new[] { capped, ending })
        {
            var done = await s.GetScheduleAsync(id);
            Assert.Equal("completed", done.GetProperty("status").GetString());
            Assert.False(done.TryGetProperty("next_run_at", out _));
        }

        // Resumed after four of its occurrences passed: the next one after now, nothing caught up.
        var resumed = await s.PostScheduleActionAsync(paused, "resume");
        Assert.Equal(Utc("2027-05-03T13:15:00Z"), resumed.Time("next_run_at"));
        await s.RunSchedulesAsync();
        Assert.Empty(await s.OccurrencesAsync(paused));
        Assert.Equal(3, (await s.SandboxOrdersAsync("dee")).Count);
    }

    [Fact]
    public async Task A_closed_market_skips_or_waits_for_alpacas_next_open()
    {
        var now = DateTimeOffset.UtcNow;
        var (s, time) = await StartAsync(new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero), "eve");
        await using var owned = s;
        await s.SetMarketOpenAsync(false);
        var start = time.GetUtcNow();
        var cron = string.Create(CultureInfo.InvariantCulture, $"{start.AddMinutes(2).Minute} {start.AddMinutes(2).Hour} * * *");
        var skip = await CreateAsync(s, "eve", cron, "UTC", new { market_closed = "skip" });
        var wait = await CreateAsync(s, "eve", cron, "UTC", new { market_closed = "next_open" });
        var occurrence = start.AddMinutes(2);

        MoveTo(time, occurrence.AddSeconds(5));
        await s.RunSchedulesAsync();
        var skipped = Assert.Single(await s.OccurrencesAsync(skip));
        Assert.Equal(("skipped", "market_closed"), (skipped.GetProperty("outcome").GetString(), skipped.GetProperty("reason").GetString()));
        var clock = JsonDocument.Parse(await s.Browser.GetStringAsync(new Uri(s.SandboxUrl, "/sandbox/admin/market"))).RootElement;
        Assert.False(clock.GetProperty("is_open").GetBoolean());
        var waiting = await s.GetScheduleAsync(wait);
        Assert.Equal(occurrence, waiting.Time("next_occurrence_at"));
        var nextOpen = waiting.Time("next_run_at");
        Assert.True(nextOpen > occurrence, $"next open {nextOpen:O}");
        Assert.Empty(await s.SandboxOrdersAsync("eve"));

        await s.SetMarketOpenAsync(true);
        MoveTo(time, nextOpen.AddSeconds(10));
        await s.RunSchedulesAsync();
        await s.RunSchedulesAsync();
        Assert.Equal([occurrence], Placed(await s.OccurrencesAsync(wait)));
        Assert.Single(await s.SandboxOrdersAsync("eve"));
        Assert.True((await s.GetScheduleAsync(wait)).Time("next_run_at") > nextOpen);
    }

    [Fact]
    public async Task An_occurrence_waiting_for_the_open_skips_holidays_the_clocks_next_open_agreeing_with_the_calendar()
    {
        var now = DateTimeOffset.UtcNow;
        var (s, time) = await StartAsync(new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero), "gus");
        await using var owned = s;
        // The Sandbox runs on the real clock: closed now, and its next three weekdays are holidays.
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, newYork).DateTime);
        var holidays = Enumerable.Range(1, 7).Select(today.AddDays).Where(d => d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)).Take(3).Append(today).ToList();
        (await s.Browser.PutAsJsonAsync(new Uri(s.SandboxUrl, "/sandbox/admin/market"),
            new { is_open = false, holidays = holidays.Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) })).EnsureSuccessStatusCode();
        var start = time.GetUtcNow();
        var cron = string.Create(CultureInfo.InvariantCulture, $"{start.AddMinutes(2).Minute} {start.AddMinutes(2).Hour} * * *");
        var wait = await CreateAsync(s, "gus", cron, "UTC", new { market_closed = "next_open" });

        MoveTo(time, start.AddMinutes(2).AddSeconds(5));
        await s.RunSchedulesAsync();
        var nextRun = (await s.GetScheduleAsync(wait)).Time("next_run_at");

        // The runner waits for the clock's next_open; the calendar names the same session.
        var token = (await s.Services.GetRequiredService<Core.Connections.ConnectionTokens>().GetAsync("gus", Core.Alpaca.AlpacaEnv.Paper, default))!.Value.Token;
        var calendar = await s.Services.GetRequiredService<Core.Alpaca.AlpacaTradingClient>().GetCalendarAsync(Core.Alpaca.AlpacaEnv.Paper, token, today, today.AddDays(14), default);
        Assert.True(calendar.IsSuccess);
        Assert.DoesNotContain(calendar.Value!, d => holidays.Contains(d.Date));
        var firstOpen = calendar.Value!.Select(d => d.OpenAt(newYork)).First(open => open > DateTimeOffset.UtcNow);
        Assert.Equal(firstOpen, nextRun);
        Assert.DoesNotContain(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(nextRun, newYork).DateTime), holidays);
        Assert.Empty(await s.SandboxOrdersAsync("gus"));
    }

    [Fact]
    public async Task Two_runners_at_once_place_each_occurrence_once()
    {
        var (s, time) = await StartAsync(Utc("2027-05-03T10:10:00Z"), "fay");
        await using var owned = s;
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
            ids.Add(await CreateAsync(s, "fay", "0 11 * * *", "UTC"));
        MoveTo(time, Utc("2027-05-03T11:00:03Z"));

        // Two runners as two Server instances would have them: separate objects over the same storage, no lease.
        var first = s.Services.GetRequiredService<ScheduleRunner>();
        var second = ActivatorUtilities.CreateInstance<ScheduleRunner>(s.Services);
        await Task.WhenAll(first.RunAsync(default), second.RunAsync(default), first.RunAsync(default));

        foreach (var id in ids)
            Assert.Equal([Utc("2027-05-03T11:00:00Z")], Placed(await s.OccurrencesAsync(id)));
        var orders = await s.SandboxOrdersAsync("fay");
        Assert.Equal(6, orders.Count);
        Assert.Equal(6, orders.Select(o => o.GetProperty("client_order_id").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task A_crash_after_the_trade_is_accepted_but_before_the_schedule_advanced_ends_with_one_order()
    {
        var time = new FakeTimeProvider(Utc("2027-05-03T10:10:00Z"));
        void Clock(IServiceCollection s) => s.AddSingleton<TimeProvider>(time);
        await using var s = await TestSystem.StartAsync(settings: MonthlyTimers, overrideServices: services =>
        {
            Clock(services);
            services.AddSingleton<IEventDispatcher>(sp => new CrashBeforeScheduleAdvance(sp.GetRequiredService<WebhookFanOut>()));
        });
        await s.ConnectAsync("gus");
        var id = await CreateAsync(s, "gus", "0 11 * * *", "UTC");
        MoveTo(time, Utc("2027-05-03T11:00:03Z"));

        await Assert.ThrowsAnyAsync<Exception>(() => s.RunSchedulesAsync());
        var orders = await WaitForOrdersAsync(s, "gus", 1);
        Assert.Equal(Utc("2027-05-03T11:00:00Z"), (await s.GetScheduleAsync(id)).Time("next_run_at"));

        await s.RestartServerAsync(Clock);
        await s.RunSchedulesAsync();
        await s.RunSchedulesAsync();

        var placed = Assert.Single(await s.OccurrencesAsync(id));
        Assert.Equal("placed", placed.GetProperty("outcome").GetString());
        var trade = await s.WaitForTradeAsync(placed.GetProperty("trade_id").GetString()!, ["filled"], runSync: true);
        Assert.Equal(orders[0].GetProperty("client_order_id").GetString(), trade.GetProperty("client_order_id").GetString());
        Assert.Single(await s.SandboxOrdersAsync("gus"));
        Assert.Equal(Utc("2027-05-04T11:00:00Z"), (await s.GetScheduleAsync(id)).Time("next_run_at"));
    }

    private static async Task<List<JsonElement>> WaitForOrdersAsync(TestSystem s, string user, int count)
    {
        for (var i = 0; i < 100; i++)
        {
            var orders = await s.SandboxOrdersAsync(user);
            if (orders.Count >= count)
                return orders;
            await Task.Delay(100);
        }
        return await s.SandboxOrdersAsync(user);
    }

    /// <summary>Throws where the schedule's advance asks whether anyone wants schedule.occurrence.placed: after its trade was accepted, before the schedule moved on.</summary>
    private sealed class CrashBeforeScheduleAdvance(IEventDispatcher inner) : IEventDispatcher
    {
        public ValueTask<bool> WantsAsync(string eventType, CancellationToken ct) =>
            eventType == EventTypes.ScheduleOccurrencePlaced ? throw new InvalidOperationException("crash injected before the schedule advanced") : inner.WantsAsync(eventType, ct);

        public Task DispatchAsync(DomainEvent e, CancellationToken ct) => inner.DispatchAsync(e, ct);
    }
}
