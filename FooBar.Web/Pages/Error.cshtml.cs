using System.Diagnostics;
using System.Net;
using FooBar.Web.Data;
using FooBar.Web.Requests;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FooBar.Web.Pages;

/// <summary>
/// The page for every error status, rendered only as a re-execution by the status-code-pages middleware (e.g. 404)
/// or the exception handler (500, or 503 when the database is unreachable). Requested directly, it is a 404.
/// It never shows exception details; the exception handler has logged the exception with the trace id shown here.
/// </summary>
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
[IgnoreAntiforgeryToken]
public class ErrorModel(IWebHostEnvironment environment, IConfiguration configuration) : PageModel
{
    public string Title { get; private set; } = "";
    public string Message { get; private set; } = "";
    public string? TraceId { get; private set; }

    /// <summary>The trace in the Aspire dashboard: for a developer on this machine, in Development only.</summary>
    public Uri? TraceUrl { get; private set; }

    // No handler methods: re-execution keeps the original method (POST, PUT, anything), and every one must render.
    // [NonHandler]: Razor Pages would otherwise take "On" + "PageHandlerExecuting" for a handler of method PAGE.
    [NonHandler]
    public override void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        var reExecuted = HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is not null
            || HttpContext.Features.Get<IExceptionHandlerFeature>() is not null;
        if (!reExecuted)
        {
            // Someone asked for /Error or /Error/500 themselves: there is no page there.
            context.Result = NotFound();
            return;
        }

        // The route value only: binding from the body would read a form, which may be what failed.
        var status = int.TryParse(RouteData.Values["statusCode"]?.ToString(), out var code) ? code : Response.StatusCode;
        Response.StatusCode = status;
        TraceId = Activity.Current?.TraceId.ToHexString();
        if (TraceId is not null && environment.IsDevelopment() && HttpContext.Connection.RemoteIpAddress is { } peer && IPAddress.IsLoopback(peer))
        {
            TraceUrl = DashboardLink.ForTrace(configuration, TraceId);
        }

        var shedFor = HttpContext.Items[AdmissionControl.ShedItem] as int?;
        var shed = shedFor is not null;
        (Title, Message) = status switch
        {
            StatusCodes.Status503ServiceUnavailable when shed => ("The site is busy",
                $"More visitors than the site can serve at once are asking right now. Please try again in {shedFor} seconds."),
            StatusCodes.Status404NotFound => ("Page not found", "There is no page at this address. It may have moved, or the link may be wrong."),
            StatusCodes.Status400BadRequest => ("Bad request", "The request could not be understood. If you sent a form, reload it and try again."),
            StatusCodes.Status405MethodNotAllowed => ("Method not allowed", $"This address does not take a {Request.Method} request."),
            StatusCodes.Status415UnsupportedMediaType => ("Unsupported request format", "The server cannot read what was sent in that form. Send it as UTF-8."),
            StatusCodes.Status503ServiceUnavailable => ("The database is unavailable",
                $"This page needs the database, which cannot be reached right now. Please try again in {DatabaseUnavailable.RetryAfter.TotalSeconds:0} seconds."),
            >= 500 => ("Something went wrong", "The server could not complete the request. Please try again later."),
            _ => ("Request refused", $"The server answered {status}."),
        };

        if (shedFor is { } seconds)
        {
            Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (status == StatusCodes.Status503ServiceUnavailable)
        {
            Response.Headers.RetryAfter = ((int)DatabaseUnavailable.RetryAfter.TotalSeconds).ToString();
        }
    }
}
