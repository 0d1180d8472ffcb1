using System.Text;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Net.Http.Headers;

namespace FooBar.Web.Requests;

/// <summary>
/// Refuses a form whose charset the app will not decode (UTF-7, unknown names) with 415 before anything reads
/// the body: the form reader would otherwise throw, and the visitor would get a 500.
/// </summary>
public static class FormCharsetCheck
{
    // Encoding.UTF7's code page: insecure, disabled in .NET, never sent by a browser.
    private const int Utf7CodePage = 65000;

    public static IApplicationBuilder UseFormCharsetCheck(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            // A re-execution for the error page carries the same request: let it through to the page.
            if (context.Features.Get<IStatusCodeReExecuteFeature>() is null
                && context.Request.HasFormContentType && !IsDecodable(context.Request.ContentType))
            {
                context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                return;
            }
            await next(context);
        });

    /// <summary>True when <paramref name="contentType"/> names no charset or one .NET decodes safely.</summary>
    public static bool IsDecodable(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || mediaType.Charset.Length == 0)
        {
            return true;
        }
        try
        {
            return Encoding.GetEncoding(mediaType.Charset.Value!.Trim('"')).CodePage != Utf7CodePage;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return false;
        }
    }
}
