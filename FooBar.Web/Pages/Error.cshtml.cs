using System.Diagnostics;
using FooBar.Web.Data;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FooBar.Web.Pages;

/// <summary>
/// The page for every error status: re-executed by the status-code-pages middleware (e.g. 404) and by the
/// exception handler (500, or 503 when the database is unreachable).
/// </summary>
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
[IgnoreAntiforgeryToken]
public class ErrorModel(IWebHostEnvironment environment) : PageModel
{
    public string Title { get; private set; } = "";
    public string Message { get; private set; } = "";
    public string? TraceId { get; private set; }
    public string? Details { get; private set; }

    // Re-execution keeps the original method, so a failed POST lands here too.
    public void OnGet(int? statusCode) => Describe(statusCode);

    public void OnPost(int? statusCode) => Describe(statusCode);

    private void Describe(int? statusCode)
    {
        var exception = HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error;
        var status = statusCode ?? Response.StatusCode;
        if (status < 400)
        {
            // Someone opened /Error directly.
            status = StatusCodes.Status404NotFound;
        }
        Response.StatusCode = status;
        TraceId = Activity.Current?.TraceId.ToHexString();

        (Title, Message) = status switch
        {
            StatusCodes.Status404NotFound => ("Page not found", "There is no page at this address. It may have moved, or the link may be wrong."),
            StatusCodes.Status400BadRequest => ("Bad request", "The request could not be understood. If you sent a form, reload it and try again."),
            StatusCodes.Status503ServiceUnavailable => ("The database is unavailable",
                $"This page needs the database, which cannot be reached right now. Please try again in {DatabaseUnavailable.RetryAfter.TotalSeconds:0} seconds."),
            >= 500 => ("Something went wrong", "The server could not complete the request. Please try again later."),
            _ => ("Request refused", $"The server answered {status}."),
        };

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            Response.Headers.RetryAfter = ((int)DatabaseUnavailable.RetryAfter.TotalSeconds).ToString();
        }

        if (exception is not null && environment.IsDevelopment())
        {
            Details = exception.ToString();
        }
    }
}
