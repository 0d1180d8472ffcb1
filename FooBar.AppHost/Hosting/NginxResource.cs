namespace Aspire.Hosting.ApplicationModel;

/// <summary>An nginx web server in a container: the front door of the site.</summary>
public sealed class NginxResource(string name) : ContainerResource(name)
{
    internal const string HttpEndpointName = "http";
}
