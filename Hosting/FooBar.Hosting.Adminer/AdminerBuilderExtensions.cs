using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Adminer;
using FooBar.Hosting.Processes;

namespace FooBar.Hosting;

/// <summary>
/// A database admin page for MySQL, as Aspire's MySQL integration offers phpMyAdmin (<c>WithPhpMyAdmin</c>). The
/// container follows the contract of FooBar's recipe (<c>images/adminer</c>, Debian's Adminer): it serves on port 8080,
/// reaches the servers named in <c>ADMINER_SERVERS</c> over their sockets (<c>/run/mysql-servers/&lt;name&gt;/mysqld.sock</c>)
/// and logs in as <c>ADMINER_USERNAME</c> with <c>ADMINER_PASSWORD</c>, opening <c>ADMINER_DATABASE</c> on the first.
/// </summary>
public static class AdminerBuilderExtensions
{
    private const string ServerSocketDirectory = "/run/mysqld";
    private const string AdminerSocketsDirectory = "/run/mysql-servers";
    // mysqld runs as its own user in its container and makes its socket in a folder of the host's: anyone may, as in /tmp.
    private const UnixFileMode StickyWorldWritable = (UnixFileMode)0b1_111_111_111;

    /// <summary>
    /// Adds Adminer for this server, or for every node of this cluster (the first opens, <c>?server=&lt;node&gt;</c> the
    /// others), logged in as root: a developer's page, in run mode only (a published stack has none), published on
    /// 127.0.0.1 at a port Docker picks. Each server's socket folder becomes a folder of this run's on the host, shared
    /// with Adminer, so the login is root's from <c>localhost</c>, which needs no grant for a network and no password
    /// typed. Linux only, as nginx's sockets are (Docker Desktop's VM does not carry a socket across).
    /// </summary>
    /// <typeparam name="T">A server or a cluster.</typeparam>
    /// <param name="builder">The server's or cluster's resource builder.</param>
    /// <param name="configureContainer">Configures Adminer's container, such as <c>WithDockerfile("../images/adminer")</c>.</param>
    /// <param name="containerName">The resource's name; <c>&lt;server&gt;-admin</c> when null.</param>
    /// <returns>The server's or cluster's resource builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddMySql("mysql").WithAdminer(admin => admin.WithDockerfile("../images/adminer")).AddDatabase("appdb");
    /// </code>
    /// </example>
    public static IResourceBuilder<T> WithAdminer<T>(this IResourceBuilder<T> builder,
        Action<IResourceBuilder<AdminerResource>>? configureContainer = null, string? containerName = null)
        where T : class, IMySqlServerResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        var application = builder.ApplicationBuilder;
        if (!application.ExecutionContext.IsRunMode || !OperatingSystem.IsLinux())
        {
            return builder;
        }

        var mysql = builder.Resource;
        IReadOnlyList<ContainerResource> servers = mysql switch
        {
            MySqlServerResource server => [server],
            MySqlClusterResource cluster => cluster.Nodes,
            _ => throw new NotSupportedException($"Adminer reaches a {nameof(MySqlServerResource)} or a {nameof(MySqlClusterResource)}'s nodes, not a {mysql.GetType().Name}."),
        };

        var adminer = application.AddResource(new AdminerResource(containerName ?? $"{mysql.Name}-admin"))
            .WithImage(AdminerContainerImageTags.Image, AdminerContainerImageTags.Tag)
            // Published on 127.0.0.1 only, as MySQL's own port is.
            .WithHttpEndpoint(targetPort: 8080, name: AdminerResource.HttpEndpointName, isProxied: false)
            // A port Docker picks, not 8080 on the host too: without a proxy, the host port is the container's unless unset.
            .WithEndpoint(AdminerResource.HttpEndpointName, endpoint => endpoint.Port = null)
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["ADMINER_SERVERS"] = string.Join(' ', servers.Select(server => server.Name));
                context.EnvironmentVariables["ADMINER_USERNAME"] = MySqlServerResource.RootUserName;
                context.EnvironmentVariables["ADMINER_PASSWORD"] = mysql.PasswordParameter;
                if (mysql.DatabaseResources is [var database, ..])
                {
                    context.EnvironmentVariables["ADMINER_DATABASE"] = database.DatabaseName;
                }
            })
            .WithParentRelationship(mysql)
            .WaitFor(builder)
            .WithHttpHealthCheck("/health.txt", endpointName: AdminerResource.HttpEndpointName)
            .WithUrlForEndpoint(AdminerResource.HttpEndpointName, url => url.DisplayText = $"Adminer (logged in as {MySqlServerResource.RootUserName})");

        foreach (var server in servers)
        {
            var sockets = RunFolder.Create($"{server.Name}-socket");
            File.SetUnixFileMode(sockets.Path, StickyWorldWritable);
            application.CreateResourceBuilder(server).WithBindMount(sockets.Path, ServerSocketDirectory);
            adminer.WithBindMount(sockets.Path, $"{AdminerSocketsDirectory}/{server.Name}", isReadOnly: true);
        }
        configureContainer?.Invoke(adminer);
        return builder;
    }
}
