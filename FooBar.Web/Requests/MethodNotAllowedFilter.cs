using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace FooBar.Web.Requests;

/// <summary>
/// Answers 405 with an <c>Allow</c> header when a page has handlers but none for the request's method. Without it
/// Razor Pages renders the page with no handler run (a blank page, or a NullReferenceException), or the antiforgery
/// check answers 400 for a method the page never takes. A page with no handlers at all (the error page) takes every method.
/// </summary>
public sealed class MethodNotAllowedFilter : IAuthorizationFilter, IOrderedFilter
{
    // Before the antiforgery check: the method is wrong whatever the token says.
    public int Order => int.MinValue;

    public void OnAuthorization(AuthorizationFilterContext context)
    {
        if (context.ActionDescriptor is not CompiledPageActionDescriptor { HandlerMethods.Count: > 0 } page)
        {
            return;
        }

        // Every request comes here: the usual case (a handler for the method) allocates nothing.
        var method = context.HttpContext.Request.Method;
        foreach (var handler in page.HandlerMethods)
        {
            if (string.Equals(handler.HttpMethod, method, StringComparison.OrdinalIgnoreCase)
                // Razor Pages answer HEAD with the GET handler.
                || (HttpMethods.IsHead(method) && string.Equals(handler.HttpMethod, HttpMethods.Get, StringComparison.OrdinalIgnoreCase)))
            {
                return;
            }
        }

        var methods = page.HandlerMethods.Select(handler => handler.HttpMethod.ToUpperInvariant()).ToHashSet();
        if (methods.Contains(HttpMethods.Get))
        {
            methods.Add(HttpMethods.Head);
        }
        context.HttpContext.Response.Headers.Allow = string.Join(", ", methods.Order(StringComparer.Ordinal));
        context.Result = new StatusCodeResult(StatusCodes.Status405MethodNotAllowed);
    }
}
