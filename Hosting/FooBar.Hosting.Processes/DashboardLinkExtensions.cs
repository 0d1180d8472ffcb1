namespace FooBar.Hosting;

/// <summary>Lets a resource link to the Aspire dashboard.</summary>
public static class DashboardLinkExtensions
{
    /// <summary>
    /// Tells a resource where the Aspire dashboard is (<c>Dashboard__Url</c>), so its pages can link a request
    /// to its trace. Nothing is set when the AppHost has no dashboard address, nor on publish: this host's dashboard
    /// is not a published stack's.
    /// </summary>
    /// <typeparam name="T">The resource's type.</typeparam>
    /// <param name="builder">The resource's builder.</param>
    /// <returns>The resource's builder.</returns>
    public static IResourceBuilder<T> WithDashboardLinks<T>(this IResourceBuilder<T> builder) where T : IResourceWithEnvironment =>
        builder.WithEnvironment(context =>
        {
            // The dashboard serves on the AppHost's own URLs; read at start, after any test has changed them.
            var url = builder.ApplicationBuilder.Configuration["ASPNETCORE_URLS"]?
                .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .FirstOrDefault();
            if (url is not null && context.ExecutionContext.IsRunMode)
            {
                context.EnvironmentVariables["Dashboard__Url"] = url;
            }
        });
}
