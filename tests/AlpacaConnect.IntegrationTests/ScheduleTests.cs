using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AlpacaConnect.Core.Storage;
using AlpacaConnect.IntegrationTests.Infrastructure;

namespace AlpacaConnect.IntegrationTests;

public sealed class ScheduleFixture<THost> : SystemFixture<THost> where THost : IHostChoice
{
    protected override async Task PrepareAsync(TestSystem system)
    {
        foreach (var user in new[] { "sam", "sue", "sid", "sol" })
            await system.ConnectAsync(user);
    }
}

public sealed class ScheduleTestsOnServer(ScheduleFixture<OnServer> fixture) : ScheduleTests<OnServer>(fixture);

public sealed class ScheduleTestsOnFunctions(ScheduleFixture<OnFunctions> fixture) : ScheduleTests<OnFunctions>(fixture);

/// <summary>
/// Schedules over HTTP and their timer, on both hosts with the real clock: the API, validation, an
/// occurrence placed exactly once by the timer (run twice) through the trade pipeline to a Sandbox
/// order, and a revoked connection pausing its schedule. Time itself (DST, downtime, market hours,
/// crashes, racing runners) is moved with a fake clock in <see cref="ScheduleClockTests"/>.
/// </summary>
public abstract class ScheduleTests<THost>(ScheduleFixture<THost> fixture) : IClassFixture<ScheduleFixture<THost>> where THost : IHostChoice
{
    private TestSystem S => fixture.System;

    /// <summary>A cron for one moment a few seconds from now, in <paramref name="zone"/>'s local time (yearly, so it fires once in the test).</summary>
    private static (string Cron, DateTimeOffset At) SoonIn(string zone, int seconds = 4)
    {
        var at = DateTimeOffset.UtcNow.AddSeconds(seconds);
        at = new DateTimeOffset(at.Ticks - at.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var local = TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById(zone));
        return (string.Create(CultureInfo.InvariantCulture, $"{local.Second} {local.Minute} {local.Hour} {local.Day} {local.Month} *"), at);
    }

    private static async Task WaitUntilAsync(DateTimeOffset at)
    {
        var wait = at - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300);
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait);
    }

    [SkippableFact]
    public async Task The_timer_places_a_due_occurrence_once_through_the_trade_pipeline_however_often_it_runs()
    {
        var (cron, at) = SoonIn("America/New_York");
        var created = await S.CreateScheduleAsync(new { user_id = "sam", env = "paper", cron, time_zone = "America/New_York", order = Scheduling.DcaOrder });
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal(at, created.Time("next_run_at"));

        await WaitUntilAsync(at);
        await S.RunSchedulesAsync();
        await S.RunSchedulesAsync();

        var occurrence = Assert.Single(await S.OccurrencesAsync(id));
        Assert.Equal("placed", occurrence.GetProperty("outcome").GetString());
        Assert.Equal(at, occurrence.Time("occurrence_at"));
        var tradeId = occurrence.GetProperty("trade_id").GetString()!;
        var trade = await S.WaitForTradeAsync(tradeId, ["filled"], runSync: true);
        Assert.Equal("schedule:" + id, trade.GetProperty("origin").GetString());
        Assert.Equal("50", trade.GetProperty("order").GetProperty("notional").GetString());

        var order = Assert.Single(await S.SandboxOrdersAsync("sam"));
        Assert.Equal(trade.GetProperty("client_order_id").GetString(), order.GetProperty("client_order_id").GetString());
        var schedule = await S.GetScheduleAsync(id);
        Assert.Equal(1, schedule.GetProperty("placed").GetInt32());
        Assert.Equal(at.AddYears(1).Year, schedule.Time("next_run_at").Year);

        // A third run later changes nothing either.
        await S.RunSchedulesAsync();
        Assert.Single(await S.SandboxOrdersAsync("sam"));
    }

    [SkippableFact]
    public async Task Bad_input_is_refused_with_every_problem_and_nothing_is_stored()
    {
        var before = await S.CountRowsAsync(Tables.ScheduleDue);
        var response = await S.Api.PostAsJsonAsync("/api/schedules", new
        {
            user_id = "nobody",
            env = "paper",
            cron = "0 10 * *",
            time_zone = "Mars/Olympus_Mons",
            order = new { symbol = "VTI", side = "buy", type = "limit", notional = "50", qty = "1", time_in_force = "day" },
            max_occurrences = 0,
            market_closed = "wait",
        });
        var errors = await Scheduling.ValidationErrorsAsync(response);
        foreach (var field in new[] { "cron", "time_zone", "order.notional", "order.limit_price", "max_occurrences", "market_closed", "connection" })
            Assert.True(errors.ContainsKey(field), $"no problem for {field}: {string.Join(", ", errors.Keys)}");

        var list = await S.Api.GetFromJsonAsync<JsonElement>("/api/schedules?user_id=nobody");
        Assert.Empty(list.GetProperty("schedules").EnumerateArray());
        Assert.Equal(before, await S.CountRowsAsync(Tables.ScheduleDue));

        // A 6-field cron with a bad seconds field, and an unknown order field, for a connected user.
        var six = await S.Api.PostAsJsonAsync("/api/schedules", new { user_id = "sue", env = "paper", cron = "99 0 10 * * *", time_zone = "UTC", order = Scheduling.DcaOrder });
        Assert.Equal(["cron"], (await Scheduling.ValidationErrorsAsync(six)).Keys);
        var unknown = await S.Api.PostAsync("/api/schedules", new StringContent(
            "{\"user_id\":\"sue\",\"env\":\"paper\",\"cron\":\"0 10 * * *\",\"time_zone\":\"UTC\",\"order\":{\"symbol\":\"VTI\"},\"colour\":\"red\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Empty((await S.Api.GetFromJsonAsync<JsonElement>("/api/schedules?user_id=sue")).GetProperty("schedules").EnumerateArray());
    }

    [SkippableFact]
    public async Task A_schedule_is_listed_changed_paused_resumed_and_deleted()
    {
        var created = await S.CreateScheduleAsync(new { user_id = "sid", env = "paper", cron = "0 10 * * MON", time_zone = "Europe/Berlin", order = Scheduling.DcaOrder, max_occurrences = 12 });
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("active", created.GetProperty("status").GetString());
        Assert.Equal(DayOfWeek.Monday, created.Time("next_run_at").DayOfWeek);

        var list = await S.Api.GetFromJsonAsync<JsonElement>("/api/schedules?user_id=sid&env=paper");
        Assert.Equal(id, Assert.Single(list.GetProperty("schedules").EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty((await S.Api.GetFromJsonAsync<JsonElement>("/api/schedules?user_id=sid&env=live")).GetProperty("schedules").EnumerateArray());

        var patch = await S.Api.PatchAsync("/api/schedules/" + id, JsonContent.Create(new { cron = "30 15 * * FRI", order = new { symbol = "VOO", side = "buy", type = "market", qty = "1", time_in_force = "day" } }));
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var changed = await S.GetScheduleAsync(id);
        Assert.Equal("30 15 * * FRI", changed.GetProperty("cron").GetString());
        Assert.Equal("VOO", changed.GetProperty("order").GetProperty("symbol").GetString());
        Assert.Equal(DayOfWeek.Friday, changed.Time("next_run_at").DayOfWeek);

        var refused = await S.Api.PatchAsync("/api/schedules/" + id, JsonContent.Create(new { time_zone = "Nowhere/City", order = new { symbol = "VOO", side = "hold" } }));
        var errors = await Scheduling.ValidationErrorsAsync(refused);
        Assert.Contains("time_zone", errors.Keys);
        Assert.Contains("order.side", errors.Keys);
        Assert.Equal("VOO", (await S.GetScheduleAsync(id)).GetProperty("order").GetProperty("symbol").GetString());

        var paused = await S.PostScheduleActionAsync(id, "pause");
        Assert.Equal("paused", paused.GetProperty("status").GetString());
        Assert.Equal("requested", paused.GetProperty("paused_reason").GetString());
        Assert.False(paused.TryGetProperty("next_run_at", out _));
        var resumed = await S.PostScheduleActionAsync(id, "resume");
        Assert.Equal("active", resumed.GetProperty("status").GetString());
        Assert.Equal(changed.Time("next_run_at"), resumed.Time("next_run_at"));

        // Real answers validate against the OpenAPI document the app serves.
        var doc = System.Text.Json.Nodes.JsonNode.Parse(await S.Browser.GetStringAsync(new Uri(S.ServerUrl, "/api/openapi.json")))!.AsObject();
        OpenApiTests.AssertValid(doc, "CreateSchedule", 201, created.GetRawText());
        OpenApiTests.AssertValid(doc, "GetSchedule", 200, changed.GetRawText());
        OpenApiTests.AssertValid(doc, "ListSchedules", 200, list.GetRawText());
        OpenApiTests.AssertValid(doc, "PauseSchedule", 200, paused.GetRawText());
        OpenApiTests.AssertValid(doc, "ListScheduleOccurrences", 200, await S.Api.GetStringAsync($"/api/schedules/{id}/occurrences"));

        Assert.Equal(HttpStatusCode.NoContent, (await S.Api.DeleteAsync("/api/schedules/" + id)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await S.Api.GetAsync("/api/schedules/" + id)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await S.Api.GetAsync("/api/schedules/sid~00000000000000000000000000000000/occurrences")).StatusCode);
    }

    [SkippableFact]
    public async Task A_revoked_connection_pauses_its_schedule_with_a_reason_at_the_due_time()
    {
        var (cron, at) = SoonIn("UTC");
        var id = (await S.CreateScheduleAsync(new { user_id = "sol", env = "paper", cron, time_zone = "UTC", order = Scheduling.DcaOrder })).GetProperty("id").GetString()!;
        (await S.Browser.PostAsJsonAsync(new Uri(S.SandboxUrl, "/sandbox/admin/tokens/revoke"), new { username = "sol-alpaca" })).EnsureSuccessStatusCode();

        await WaitUntilAsync(at);
        await S.RunSchedulesAsync();

        var schedule = await S.GetScheduleAsync(id);
        Assert.Equal("paused", schedule.GetProperty("status").GetString());
        Assert.Equal("connection_inactive", schedule.GetProperty("paused_reason").GetString());
        var skipped = Assert.Single(await S.OccurrencesAsync(id));
        Assert.Equal("skipped", skipped.GetProperty("outcome").GetString());
        Assert.Equal("connection_inactive", skipped.GetProperty("reason").GetString());
        Assert.Empty(await S.SandboxOrdersAsync("sol"));
        var connections = await S.Api.GetFromJsonAsync<JsonElement>("/api/connections/sol");
        Assert.Equal("revoked", connections.GetProperty("connections")[0].GetProperty("status").GetString());

        // Resuming needs an active connection again.
        var resume = await S.Api.PostAsync($"/api/schedules/{id}/resume", null);
        Assert.Contains("connection", (await Scheduling.ValidationErrorsAsync(resume)).Keys);
    }
}
