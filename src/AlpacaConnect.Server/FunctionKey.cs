using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using AlpacaConnect.Core.Http;
using Microsoft.Extensions.Options;

namespace AlpacaConnect.Server;

public sealed class FunctionKeyOptions
{
    public const string Section = "Server";

    /// <summary>The key callers send in x-functions-key (or ?code=), as they would to the Functions app.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Set Server:FunctionKey: the key callers send in the x-functions-key header.")]
    [MinLength(16, ErrorMessage = "Server:FunctionKey must be at least 16 characters.")]
    public string FunctionKey { get; set; } = "";
}

/// <summary>Function-level auth as Azure does it: the key in the x-functions-key header or the code query parameter.</summary>
public sealed class FunctionKeyFilter(IOptions<FunctionKeyOptions> options) : IEndpointFilter
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.FunctionKey);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        string? presented = request.Headers["x-functions-key"].FirstOrDefault() ?? request.Query["code"].FirstOrDefault();
        if (presented is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _key))
            return Problems.Unauthorized();
        return await next(context);
    }
}
