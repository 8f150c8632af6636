using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AlpacaConnect.Core.Http;

/// <summary>
/// RFC 9457 problem+json answers. Each kind has a stable <c>type</c> so clients can branch on it
/// instead of parsing titles.
/// </summary>
public static class Problems
{
    public const string TypePrefix = "urn:alpaca-connect:problem:";

    public static ProblemHttpResult Create(int status, string kind, string title, string? detail = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + kind);

    /// <summary>422 listing every problem found, keyed by the field it concerns.</summary>
    public static ProblemHttpResult Validation(IReadOnlyDictionary<string, string[]> errors, string? detail = null) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value))
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "The request is not valid.",
            Detail = detail ?? "See errors for each field that was wrong.",
            Type = TypePrefix + "validation",
        });

    public static ProblemHttpResult MalformedBody(string detail) =>
        Create(StatusCodes.Status400BadRequest, "malformed-body", "The request body could not be read.", detail);

    public static ProblemHttpResult NotFound(string what) =>
        Create(StatusCodes.Status404NotFound, "not-found", "Not found.", what);

    public static ProblemHttpResult Unauthorized() =>
        Create(StatusCodes.Status401Unauthorized, "unauthorized", "A valid function key is required.",
            "Send the key in the x-functions-key header.");
}
