namespace FooBar.Hosting;

/// <summary>
/// An nginx of the site, whichever way it runs: a front door in the host's network in run mode
/// (<see cref="NginxFrontDoorResource"/>), or a container in a published stack (<see cref="NginxResource"/>).
/// nginx's builder methods (<c>WithConfigTemplates</c>, <c>WithTls</c>, <c>WithUpstream</c>, …) take either.
/// </summary>
public interface INginxResource : IResourceWithEnvironment, IResourceWithEndpoints, IComputeResource
{
    /// <summary>The endpoint its health check asks: the site's own, or the door's own address where doors share the site's.</summary>
    string HealthEndpointName { get; }
}
