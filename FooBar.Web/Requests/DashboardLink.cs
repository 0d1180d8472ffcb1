namespace FooBar.Web.Requests;

/// <summary>Links a trace id to its page in the Aspire dashboard, whose address the AppHost passes as <c>Dashboard__Url</c>.</summary>
public static class DashboardLink
{
    /// <summary>The dashboard's page for <paramref name="traceId"/>, or null when no dashboard address is configured.</summary>
    public static Uri? ForTrace(IConfiguration configuration, string traceId) =>
        Uri.TryCreate(configuration["Dashboard:Url"], UriKind.Absolute, out var dashboard)
            ? new Uri(dashboard, $"/traces/detail/{traceId}")
            : null;
}
