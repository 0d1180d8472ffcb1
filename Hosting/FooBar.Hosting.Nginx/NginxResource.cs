namespace FooBar.Hosting;

/// <summary>An nginx web server in a container: the front door of the site in a published stack, or one of <c>AddNginx</c>.</summary>
/// <param name="name">The resource's name.</param>
public sealed class NginxResource(string name) : ContainerResource(name), INginxResource
{
    internal const string HttpEndpointName = "http";
    internal const string HttpsEndpointName = "https";

    /// <inheritdoc />
    public string HealthEndpointName => HttpEndpointName;
}
