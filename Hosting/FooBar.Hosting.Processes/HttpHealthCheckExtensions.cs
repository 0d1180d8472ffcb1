namespace FooBar.Hosting;

/// <summary>An HTTP health check that the AppHost runs here and a published container runs itself.</summary>
public static class HttpHealthCheckExtensions
{
    /// <summary>
    /// Adds Aspire's HTTP health check (<c>WithHttpHealthCheck</c>: healthy on a 2xx answer, so <c>WaitFor</c> waits for
    /// it) and records its endpoint and path (<see cref="HttpHealthCheckAnnotation"/>), from which a publisher writes
    /// the container's own check, such as a Swarm stack's <c>healthcheck:</c>.
    /// </summary>
    /// <typeparam name="T">The resource's type.</typeparam>
    /// <param name="builder">The resource's builder.</param>
    /// <param name="path">The path requested, such as <c>/health</c>.</param>
    /// <param name="endpointName">The endpoint requested; <c>http</c> when null.</param>
    /// <returns>The resource's builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddProject&lt;Projects.FooBar_Web&gt;("web").WithHttpHealthProbe("/health");
    /// </code>
    /// </example>
    public static IResourceBuilder<T> WithHttpHealthProbe<T>(this IResourceBuilder<T> builder, string path, string? endpointName = null)
        where T : IResourceWithEndpoints
    {
        ArgumentNullException.ThrowIfNull(builder);
        endpointName ??= "http";
        return builder.WithHttpHealthCheck(path, endpointName: endpointName)
            .WithAnnotation(new HttpHealthCheckAnnotation(endpointName, path), ResourceAnnotationMutationBehavior.Replace);
    }
}
