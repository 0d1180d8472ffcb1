using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Nginx;
using FooBar.Hosting.Processes;
using FooBar.Hosting.Swarm;

namespace FooBar.Hosting;

/// <summary>
/// nginx hosting that follows the official nginx image's contract: site configuration comes from
/// <c>/etc/nginx/templates/*.template</c>, rendered with the container's environment at start.
/// </summary>
public static class NginxBuilderExtensions
{
    private const string TemplatesDirectory = "/etc/nginx/templates";
    private const string HtmlDirectory = "/usr/share/nginx/html";
    private const string SocketsDirectory = "/run/foobar";
    private const string UpstreamsDirectory = "/etc/nginx/upstreams";
    private const string TlsDirectory = "/etc/nginx/tls";

    /// <summary>Adds an nginx container, published on loopback.</summary>
    /// <remarks>
    /// This version defaults to the <inheritdoc cref="NginxContainerImageTags.Tag"/> tag of the
    /// <inheritdoc cref="NginxContainerImageTags.Image"/> image from <inheritdoc cref="NginxContainerImageTags.Registry"/>;
    /// <c>WithDockerfile</c> replaces it with an image built from a recipe that honours the same contract.
    /// </remarks>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="name">The resource's name.</param>
    /// <param name="port">The host port nginx is published on (on loopback); a free one when null.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<NginxResource> AddNginx(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, int? port = null) =>
        builder.AddResource(new NginxResource(name))
            .WithImage(NginxContainerImageTags.Image, NginxContainerImageTags.Tag)
            .WithImageRegistry(NginxContainerImageTags.Registry)
            // Published straight to loopback: visitors reach nginx itself, not a proxy of Aspire's in front of it.
            .WithHttpEndpoint(port: port, targetPort: 80, name: NginxResource.HttpEndpointName, isProxied: false);

    /// <summary>
    /// Builds nginx's image from the recipe in <paramref name="contextPath"/> (its <c>Dockerfile</c>), which honours the
    /// official image's contract: a container's image, as Aspire's <c>WithDockerfile</c> builds it; a front door's, built by
    /// the AppHost from the recipe as it is when the door starts (<see cref="NginxFrontDoorImage"/>), whose folder also
    /// holds the door's <c>front-door.sh</c>.
    /// </summary>
    /// <typeparam name="T">The nginx resource's type.</typeparam>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="contextPath">The recipe's folder, relative to the AppHost's folder or absolute.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<T> WithDockerfile<T>(this IResourceBuilder<T> builder, string contextPath)
        where T : INginxResource
    {
        var folder = Path.GetFullPath(contextPath, builder.ApplicationBuilder.AppHostDirectory);
        switch (builder.Resource)
        {
            case NginxFrontDoorResource door:
                door.Image = new NginxFrontDoorImage(new DockerfileBuildAnnotation(folder, Path.Combine(folder, "Dockerfile"), null));
                break;
            case NginxResource container:
                ContainerResourceBuilderExtensions.WithDockerfile(builder.ApplicationBuilder.CreateResourceBuilder(container), folder);
                break;
        }
        return builder;
    }

    /// <summary>
    /// Serves the site over HTTPS as well, on loopback at <paramref name="port"/>, with the certificate and key in
    /// <paramref name="certificateFile"/> (one PEM file): nginx/snippets/tls.conf's settings, HTTP/2, HSTS, and plain
    /// HTTP answering with a 301 to HTTPS (nginx's own health endpoint excepted). The file's folder is bind-mounted
    /// read-only, so a certificate renewed in place (one rename) is taken by the next reload (<c>WithReloadCommand</c>).
    /// Front doors that share the site's address share its HTTPS address too (<c>reuseport</c>). A published Swarm
    /// stack carries the file as a secret instead and publishes HTTPS on 443 (<see cref="NginxSwarmTls"/>).
    /// </summary>
    /// <typeparam name="T">The nginx resource's type.</typeparam>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="certificateFile">The PEM file with the certificate (its chain) and its private key.</param>
    /// <param name="port">The host port of HTTPS (on loopback); a free one when null, except for doors that share it.</param>
    /// <returns>The nginx resource builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddNginxInstances("nginx", 1, port: 8080, door => door.WithTls("/etc/foobar/tls/www.foobar.com.pem", port: 8443));
    /// </code>
    /// </example>
    public static IResourceBuilder<T> WithTls<T>(this IResourceBuilder<T> builder, string certificateFile, int? port = null)
        where T : INginxResource
    {
        ArgumentException.ThrowIfNullOrEmpty(certificateFile);
        var file = Path.GetFullPath(certificateFile);
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return builder.PublishAsSwarmService(context => NginxSwarmTls.Contribute(context, file));
        }
        builder
            .WithReadOnlyMount(Path.GetDirectoryName(file)!, TlsDirectory)
            .WithEnvironment("NGINX_TLS_CERTIFICATE", $"{TlsDirectory}/{Path.GetFileName(file)}")
            .OnBeforeResourceStarted((_, _, _) => File.Exists(file)
                ? Task.CompletedTask
                : throw new InvalidOperationException($"{builder.Resource.Name}'s certificate {file} is missing: scripts/setup.sh issues it."));
        if (builder.Resource is NginxFrontDoorResource door)
        {
            if (door.Shared && port is null)
            {
                throw new InvalidOperationException($"{door.Name} shares the site's HTTPS port with the other doors: give WithTls a port.");
            }
            var https = builder
                .WithAnnotation(new EndpointAnnotation(System.Net.Sockets.ProtocolType.Tcp, uriScheme: "https",
                    name: NginxFrontDoorResource.HttpsEndpointName, port: port, isProxied: false))
                .GetEndpoint(NginxFrontDoorResource.HttpsEndpointName);
            // The host's own address, on loopback (the door is in the host's network), shared where the site's is.
            return builder
                .WithEnvironment("NGINX_TLS_LISTEN", ReferenceExpression.Create($"127.0.0.1:{https.Property(EndpointProperty.Port)}{(door.Shared ? " reuseport" : "")}"))
                .WithEnvironment("NGINX_HTTPS_PORT", https.Property(EndpointProperty.Port));
        }
        var published = builder
            .WithHttpsEndpoint(port: port, targetPort: 443, name: NginxResource.HttpsEndpointName, isProxied: false)
            .GetEndpoint(NginxResource.HttpsEndpointName);
        return builder
            .WithEnvironment("NGINX_TLS_LISTEN", "443")
            // The port visitors reach HTTPS on, for the redirect from HTTP: the host's (a reference from the container
            // itself would be its own 443).
            .WithEnvironment(context =>
            {
                if (published.IsAllocated)
                {
                    context.EnvironmentVariables["NGINX_HTTPS_PORT"] = published.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            });
    }

    /// <summary>Mounts a folder of <c>*.conf.template</c> files as nginx's site configuration.</summary>
    /// <typeparam name="T">The nginx resource's type.</typeparam>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="source">The folder of templates, relative to the AppHost's folder or absolute.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<T> WithConfigTemplates<T>(this IResourceBuilder<T> builder, string source)
        where T : INginxResource =>
        builder.WithReadOnlyMount(source, TemplatesDirectory);

    /// <summary>Serves the project's <c>wwwroot</c> (mounted read-only), so nginx answers static requests itself.</summary>
    /// <typeparam name="T">The nginx resource's type.</typeparam>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="project">The project whose static files nginx serves.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<T> WithStaticFilesFrom<T>(this IResourceBuilder<T> builder, IResourceBuilder<ProjectResource> project)
        where T : INginxResource
    {
        var projectDirectory = Path.GetDirectoryName(project.Resource.GetProjectMetadata().ProjectPath)!;
        return builder.WithReadOnlyMount(Path.Combine(projectDirectory, "wwwroot"), HtmlDirectory);
    }

    /// <summary>
    /// nginx's HTTP health check on <paramref name="path"/>, asked on the address that is this nginx's own (a door that
    /// shares the site's address is asked on its own, not on whichever door the kernel picks), and the same check for a
    /// published container (<c>WithHttpHealthProbe</c>).
    /// </summary>
    /// <typeparam name="T">The nginx resource's type.</typeparam>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="path">The path nginx answers its health on.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<T> WithHealthProbe<T>(this IResourceBuilder<T> builder, string path)
        where T : INginxResource =>
        builder.WithHttpHealthProbe(path, builder.Resource.HealthEndpointName);

    /// <summary>
    /// Makes <paramref name="servers"/> the upstream block <paramref name="name"/> that the templates proxy to: nginx
    /// balances across their HTTP endpoints (least in-flight requests first), marks one that fails out of rotation
    /// for a while and retries a request that it could not deliver on the next. The <c>server</c> lines are a file
    /// the AppHost writes before nginx starts (<see cref="NginxUpstream"/>), mounted at
    /// <c>/etc/nginx/upstreams/&lt;name&gt;/servers.conf</c>, which the block includes. On Linux each project also
    /// listens on a Unix socket in a folder bind-mounted into the container, so nginx reaches it with no TCP hop and
    /// no tunnel (nginx and an app server are paired this way on one machine); a refused connection then reaches
    /// nginx at once. Elsewhere (Docker Desktop's VM does not carry a socket across) nginx uses the endpoints over TCP.
    /// </summary>
    /// <typeparam name="T">The nginx resource's type.</typeparam>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="name">The upstream block's name in the templates.</param>
    /// <param name="servers">The application servers: one, or several instances of the same project.</param>
    /// <param name="endpointName">Their HTTP endpoint.</param>
    /// <returns>The nginx resource builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddNginxInstances("nginx", 1, port: 8080, door => door.WithConfigTemplates("../nginx/templates").WithUpstream("web", webInstances));
    /// </code>
    /// </example>
    public static IResourceBuilder<T> WithUpstream<T>(this IResourceBuilder<T> builder, string name,
        IReadOnlyList<IResourceBuilder<ProjectResource>> servers, string endpointName = "http")
        where T : INginxResource
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (servers.Count == 0)
        {
            throw new ArgumentException("An upstream needs at least one server.", nameof(servers));
        }

        // Each nginx its own file, so a rolling restart can write every door's and reload it.
        var folder = RunFolder.Create($"{builder.Resource.Name}-{name}");
        var upstream = new NginxUpstream(name, folder.File("servers.conf"), endpointName);
        var folderInContainer = $"{UpstreamsDirectory}/{name}";
        builder.WithReadOnlyMount(folder.Path, folderInContainer)
            // Where the templates' includes and the image's follow-upstreams find the upstreams: said here only.
            .WithEnvironment("NGINX_UPSTREAMS", UpstreamsDirectory)
            // A published stack's nginx follows its servers' tasks by DNS name instead.
            .PublishAsSwarmService(context => NginxSwarmUpstream.Contribute(context, upstream, folderInContainer));
        foreach (var server in servers)
        {
            builder.WithRelationship(server.Resource, "Upstream");
            // Sockets are for one machine, in run mode: a published stack reaches its servers over the network.
            if (OperatingSystem.IsLinux() && builder.ApplicationBuilder.ExecutionContext.IsRunMode)
            {
                var socket = UnixSocketOf(server, endpointName);
                var socketInContainer = $"{SocketsDirectory}/{server.Resource.Name}/{Path.GetFileName(socket)}";
                builder.WithReadOnlyMount(Path.GetDirectoryName(socket)!, Path.GetDirectoryName(socketInContainer)!);
                upstream.Add(server.Resource, _ => ValueTask.FromResult<string?>($"unix:{socketInContainer}"));
            }
            else
            {
                // The address nginx uses to reach the project (through Aspire's tunnel or the host's gateway from a container).
                var address = server.GetEndpoint(endpointName).Property(EndpointProperty.HostAndPort);
                upstream.Add(server.Resource, cancellationToken => address.GetValueAsync(new ValueProviderContext { Caller = builder.Resource }, cancellationToken));
            }
        }

        return builder
            .WithAnnotation(upstream)
            // Before every start, with every server in rotation: a restarted nginx begins with the whole list.
            .OnBeforeResourceStarted((_, _, cancellationToken) => upstream.WriteAsync(down: null, cancellationToken));
    }

    // The project's socket for this endpoint, made on the first upstream that names it: every nginx reaches it there.
    private static string UnixSocketOf(IResourceBuilder<ProjectResource> server, string endpointName)
    {
        if (server.Resource.Annotations.OfType<UnixSocketAnnotation>().FirstOrDefault(s => s.EndpointName == endpointName) is { } made)
        {
            return made.Path;
        }
        var socket = RunFolder.Create(server.Resource.Name).File($"{endpointName}.sock");
        server.WithAdditionalUrl($"http://unix:{socket}").WithAnnotation(new UnixSocketAnnotation(endpointName, socket));
        return socket;
    }

    // A host folder nginx reads, relative to the AppHost's folder or absolute (as Aspire's WithBindMount, which only containers have).
    private static IResourceBuilder<T> WithReadOnlyMount<T>(this IResourceBuilder<T> builder, string source, string target)
        where T : INginxResource =>
        builder.WithAnnotation(new ContainerMountAnnotation(Path.GetFullPath(source, builder.ApplicationBuilder.AppHostDirectory),
            target, ContainerMountType.BindMount, isReadOnly: true));

    // A project's Unix socket for one endpoint, which nginx reaches it on.
    private sealed record UnixSocketAnnotation(string EndpointName, string Path) : IResourceAnnotation;
}
