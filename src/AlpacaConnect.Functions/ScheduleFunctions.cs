using AlpacaConnect.Core.Schedules;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace AlpacaConnect.Functions;

/// <summary>Schedules: the HTTP edge and the timer that places due occurrences (Schedules:TimerSchedule).</summary>
public sealed class ScheduleFunctions(SchedulesApi schedules, ScheduleRunner runner)
{
    [Function("CreateSchedule")]
    public Task<IResult> Create([HttpTrigger(AuthorizationLevel.Function, "post", Route = "schedules")] HttpRequest request) =>
        schedules.CreateAsync(request);

    [Function("ListSchedules")]
    public Task<IResult> List([HttpTrigger(AuthorizationLevel.Function, "get", Route = "schedules")] HttpRequest request) =>
        schedules.ListAsync(request);

    [Function("GetSchedule")]
    public Task<IResult> Get([HttpTrigger(AuthorizationLevel.Function, "get", Route = "schedules/{id}")] HttpRequest request, string id) =>
        schedules.GetAsync(request, id);

    [Function("UpdateSchedule")]
    public Task<IResult> Update([HttpTrigger(AuthorizationLevel.Function, "patch", Route = "schedules/{id}")] HttpRequest request, string id) =>
        schedules.UpdateAsync(request, id);

    [Function("DeleteSchedule")]
    public Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Function, "delete", Route = "schedules/{id}")] HttpRequest request, string id) =>
        schedules.DeleteAsync(request, id);

    [Function("PauseSchedule")]
    public Task<IResult> Pause([HttpTrigger(AuthorizationLevel.Function, "post", Route = "schedules/{id}/pause")] HttpRequest request, string id) =>
        schedules.PauseAsync(request, id);

    [Function("ResumeSchedule")]
    public Task<IResult> Resume([HttpTrigger(AuthorizationLevel.Function, "post", Route = "schedules/{id}/resume")] HttpRequest request, string id) =>
        schedules.ResumeAsync(request, id);

    [Function("ListScheduleOccurrences")]
    public Task<IResult> Occurrences([HttpTrigger(AuthorizationLevel.Function, "get", Route = "schedules/{id}/occurrences")] HttpRequest request, string id) =>
        schedules.OccurrencesAsync(request, id);

    /// <summary>Occurrence times come from Cronos in the app (each schedule's own zone); this schedule only says how often to look.</summary>
    [Function("RunSchedules")]
    public Task Run([TimerTrigger("%Schedules:TimerSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        runner.RunAsync(cancellationToken);
}
