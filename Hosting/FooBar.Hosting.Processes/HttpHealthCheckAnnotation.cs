namespace FooBar.Hosting;

/// <summary>
/// A resource's HTTP health check by endpoint and path, recorded by <c>WithHttpHealthProbe</c> beside Aspire's own check,
/// so a publisher can give the resource's container the same check (Aspire's registration keeps neither in its model).
/// </summary>
/// <param name="endpointName">The endpoint the check requests.</param>
/// <param name="path">The path requested, such as <c>/health</c>; a 2xx answer means healthy.</param>
public sealed class HttpHealthCheckAnnotation(string endpointName, string path) : IResourceAnnotation
{
    /// <summary>The endpoint the check requests.</summary>
    public string EndpointName { get; } = endpointName;

    /// <summary>The path requested; a 2xx answer means healthy.</summary>
    public string Path { get; } = path.StartsWith('/') ? path
        : throw new ArgumentException("A health check's path starts with '/'.", nameof(path));
}
