namespace FooBar.Hosting;

/// <summary>An nginx web server in a container: the front door of the site.</summary>
/// <param name="name">The resource's name.</param>
public sealed class NginxResource(string name) : ContainerResource(name)
{
    internal const string HttpEndpointName = "http";
    internal const string HttpsEndpointName = "https";
}
