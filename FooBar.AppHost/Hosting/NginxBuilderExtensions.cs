using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// nginx hosting that follows the official nginx image's contract: site configuration comes from
/// <c>/etc/nginx/templates/*.template</c>, rendered with the container's environment at start.
/// </summary>
public static class NginxBuilderExtensions
{
    private const string TemplatesDirectory = "/etc/nginx/templates";
    private const string HtmlDirectory = "/usr/share/nginx/html";

    public static IResourceBuilder<NginxResource> AddNginx(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, int? port = null) =>
        builder.AddResource(new NginxResource(name))
            .WithImage("nginx", "1.28")
            .WithHttpEndpoint(port: port, targetPort: 80, name: NginxResource.HttpEndpointName);

    /// <summary>Mounts a folder of <c>*.conf.template</c> files as nginx's site configuration.</summary>
    public static IResourceBuilder<NginxResource> WithConfigTemplates(this IResourceBuilder<NginxResource> builder, string source) =>
        builder.WithBindMount(source, TemplatesDirectory, isReadOnly: true);

    /// <summary>Serves the project's <c>wwwroot</c> (mounted read-only), so nginx answers static requests itself.</summary>
    public static IResourceBuilder<NginxResource> WithStaticFilesFrom(this IResourceBuilder<NginxResource> builder,
        IResourceBuilder<ProjectResource> project)
    {
        var projectDirectory = Path.GetDirectoryName(project.Resource.GetProjectMetadata().ProjectPath)!;
        return builder.WithBindMount(Path.Combine(projectDirectory, "wwwroot"), HtmlDirectory, isReadOnly: true);
    }

    /// <summary>
    /// Feeds nginx the address Aspire allocated for <paramref name="upstream"/>'s endpoint, as the
    /// environment variable <c>NGINX_UPSTREAM_&lt;NAME&gt;</c> (host:port) that the templates use.
    /// </summary>
    public static IResourceBuilder<NginxResource> WithUpstream<T>(this IResourceBuilder<NginxResource> builder,
        IResourceBuilder<T> upstream, string endpointName = "http") where T : IResourceWithEndpoints
    {
        var endpoint = upstream.GetEndpoint(endpointName);
        return builder
            .WithEnvironment($"NGINX_UPSTREAM_{upstream.Resource.Name.ToUpperInvariant()}", endpoint.Property(EndpointProperty.HostAndPort))
            .WithRelationship(upstream.Resource, "Upstream");
    }
}
