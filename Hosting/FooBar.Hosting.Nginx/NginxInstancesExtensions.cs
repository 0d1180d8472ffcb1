using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FooBar.Hosting;

/// <summary>The site's nginx as one or several front doors, each a resource of its own from the start, and the commands that span them.</summary>
public static class NginxInstancesExtensions
{
    /// <summary>The script in nginx's recipe folder that runs one door (see its header).</summary>
    public const string FrontDoorScript = "front-door.sh";

    /// <summary>The name of the command on every door that restarts the doors one at a time.</summary>
    public const string RollingRestartDoorsCommandName = "rolling-restart-doors";

    // How long a rolling restart of the doors waits for the others to be healthy before it restarts the next.
    private static readonly TimeSpan OthersHealthyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Adds <paramref name="count"/> front doors for the site, each configured by <paramref name="configure"/>: one is
    /// named <paramref name="name"/>; several are <c>name-1</c> … <c>name-N</c>. In run mode each door is FooBar's nginx
    /// image (<c>WithDockerfile</c>) in the host's network namespace, run by the recipe's <see cref="FrontDoorScript"/>,
    /// listening on loopback only: nginx sees each client's own address, with no NAT hop in between. Several doors
    /// listen on the site's one port with <c>reuseport</c>, so the kernel spreads new connections over them; one that
    /// stops or crashes leaves the group, and with <c>net.ipv4.tcp_migrate_req=1</c> (scripts/setup.sh) the connections
    /// still queued on it move to another. Each of several also listens on a port of its own (the site's port + its
    /// number) that only its health check asks (<c>WithHealthProbe</c>). A door that exits on its own is started again
    /// (<c>WithRestartOnCrash</c>), with the recipe as it is then, built if it changed. In a published Swarm stack, the
    /// doors are one nginx service, on every node with several (<c>mode: global</c>). In run mode, several doors are shown
    /// under an <see cref="InstanceGroupResource"/> named <paramref name="name"/>, <c>Degraded</c> while not all answer.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name for one door, and the prefix for several.</param>
    /// <param name="count">How many doors, at least one.</param>
    /// <param name="port">The site's HTTP port on loopback, which the doors share; a free one for a single door when null.</param>
    /// <param name="configure">What every door gets (recipe, templates, TLS, upstreams, telemetry, commands).</param>
    /// <returns>The doors' resource builders, in order (in publish mode, the one service's).</returns>
    /// <example>
    /// <code>
    /// var web = builder.AddProjectInstances&lt;Projects.FooBar_Web&gt;("web", 3, web => web.WithHttpHealthProbe("/health"));
    /// builder.AddNginxInstances("nginx", 2, port: 8080, door => door.WithDockerfile("../nginx").WithUpstream("web", web))
    ///     .WithRollingRestartCommand(web);
    /// </code>
    /// </example>
    public static IReadOnlyList<IResourceBuilder<INginxResource>> AddNginxInstances(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, int count, int? port, Action<IResourceBuilder<INginxResource>> configure)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentNullException.ThrowIfNull(configure);
        if (!builder.ExecutionContext.IsRunMode)
        {
            var nginx = builder.AddNginx(name, port);
            configure(nginx);
            // In a swarm, several doors are a door on every node, each opening the site's port on its own node.
            return [count > 1 ? nginx.PublishAsSwarmService(context => context.RunOnEveryNode()) : nginx];
        }
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("nginx runs in the host's network namespace, which Docker gives containers on Linux only.");
        }
        if (count > 1 && port is null)
        {
            throw new ArgumentException($"{name}'s front doors share one port: give AddNginxInstances a port.", nameof(port));
        }

        var doors = Enumerable.Range(1, count).Select(number => Door(builder, count == 1 ? name : $"{name}-{number}", number, count, port, configure)).ToList();
        // Several: a resource named name over them, Degraded while fewer than all answer (the others keep the site up).
        InstanceGroups.Add(builder, name, "front door", doors);
        return doors;
    }

    private static IResourceBuilder<INginxResource> Door(IDistributedApplicationBuilder builder, string name, int number, int count,
        int? port, Action<IResourceBuilder<INginxResource>> configure)
    {
        var door = new NginxFrontDoorResource(name, number, count, builder.AppHostDirectory);
        // The image this door's current start runs: the recipe as it was when the door started.
        string? running = null;
        var resource = builder.AddResource(door)
            .WithAnnotation(new EndpointAnnotation(System.Net.Sockets.ProtocolType.Tcp, uriScheme: "http",
                name: NginxFrontDoorResource.HttpEndpointName, port: port, isProxied: false))
            .WithArgs(context =>
            {
                context.Args.Add(Path.Combine(Recipe(door).RecipeFolder, FrontDoorScript));
                context.Args.Add(door.ContainerName);
                context.Args.Add(running ?? Recipe(door).Name);
                foreach (var mount in door.Annotations.OfType<ContainerMountAnnotation>().Where(m => m.Type == ContainerMountType.BindMount))
                {
                    context.Args.Add("--volume");
                    context.Args.Add($"{mount.Source}:{mount.Target}{(mount.IsReadOnly ? ":ro" : "")}");
                }
            })
            // Aspire evaluates the arguments above again at every start, after this.
            .OnBeforeResourceStarted(async (_, e, cancellationToken) =>
                running = await Recipe(door).EnsureBuiltAsync(e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(door), cancellationToken))
            // Killed or crashed, a door starts again (back-off 1 s, 2 s … 30 s); a person's Stop is respected.
            .WithRestartOnCrash();
        var http = resource.GetEndpoint(NginxFrontDoorResource.HttpEndpointName);
        if (door.Shared)
        {
            // The door's own address beside the shared one (reuseport): its probe asks this door, not whichever the kernel picks.
            var own = resource
                .WithAnnotation(new EndpointAnnotation(System.Net.Sockets.ProtocolType.Tcp, uriScheme: "http",
                    name: NginxFrontDoorResource.OwnEndpointName, port: port + number, isProxied: false))
                .GetEndpoint(NginxFrontDoorResource.OwnEndpointName);
            resource.WithEnvironment("NGINX_LISTEN", ReferenceExpression.Create(
                $"127.0.0.1:{http.Property(EndpointProperty.Port)} reuseport, 127.0.0.1:{own.Property(EndpointProperty.Port)}"));
        }
        else
        {
            // The host's own address, on loopback only: the door is in the host's network.
            resource.WithEnvironment("NGINX_LISTEN", ReferenceExpression.Create($"127.0.0.1:{http.Property(EndpointProperty.Port)}"));
        }
        configure(resource);
        return resource;
    }

    private static FooBar.Hosting.Nginx.NginxFrontDoorImage Recipe(NginxFrontDoorResource door) => door.Image
        ?? throw new InvalidOperationException($"{door.Name} has no recipe: call WithDockerfile (its folder holds {FrontDoorScript}).");

    /// <summary>
    /// Adds a "Rolling restart" command to every door for two or more <paramref name="servers"/>: one server at a time is
    /// taken out of every door's rotation (each running door reloads, and its old workers finish what they had sent it),
    /// restarted (Kestrel finishes any request still in flight), checked healthy and put back, so a new build reaches
    /// every server while the others answer. With a single server there is nothing to answer meanwhile, and no command
    /// is added: its own Restart shows the downtime honestly. The doors' upstreams of these servers are found when the
    /// command runs, so it does not matter whether <c>WithUpstream</c> came before.
    /// </summary>
    /// <param name="doors">The doors (<see cref="AddNginxInstances"/>).</param>
    /// <param name="servers">The application servers the doors balance across.</param>
    /// <returns>The doors.</returns>
    public static IReadOnlyList<IResourceBuilder<INginxResource>> WithRollingRestartCommand(this IReadOnlyList<IResourceBuilder<INginxResource>> doors,
        IReadOnlyList<IResourceBuilder<ProjectResource>> servers)
    {
        if (servers.Count < 2)
        {
            return doors;
        }
        var restarted = servers.Select(s => (IResource)s.Resource).ToList();
        var title = servers[0].Resource.Annotations.OfType<ProjectInstanceAnnotation>().FirstOrDefault()?.Name ?? servers[0].Resource.Name;
        foreach (var door in doors)
        {
            door.WithCommand(NginxCommandExtensions.RollingRestartCommandName, $"Rolling restart of {title}", async context =>
            {
                var upstreams = doors.SelectMany(d => d.Resource.Annotations.OfType<NginxUpstream>())
                    .Where(u => u.Servers.Intersect(restarted).Any()).ToList();
                return await NginxCommandExtensions.RollingRestartAsync(restarted, upstreams, await RunningContainersAsync(doors, context.CancellationToken),
                    context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(door.Resource), context.Services, context.CancellationToken);
            },
            new CommandOptions
            {
                Description = "Restart each application server in turn, each out of every door's rotation until it is healthy again.",
                IconName = "ArrowClockwise",
                UpdateState = RunningContainer.EnabledWhileRunning,
            });
        }
        return doors;
    }

    /// <summary>
    /// Adds a "Rolling restart of the front doors" command to every door, for two or more: each door restarted and
    /// healthy before the next, and never one while another is down, so that a changed recipe (a new image) reaches them
    /// all while the others answer. A single door has no other to answer meanwhile, and gets no command.
    /// </summary>
    /// <param name="doors">The doors (<see cref="AddNginxInstances"/>).</param>
    /// <returns>The doors.</returns>
    public static IReadOnlyList<IResourceBuilder<INginxResource>> WithRollingRestartOfDoorsCommand(this IReadOnlyList<IResourceBuilder<INginxResource>> doors)
    {
        if (doors.Count < 2)
        {
            return doors;
        }
        foreach (var door in doors)
        {
            door.WithCommand(RollingRestartDoorsCommandName, "Rolling restart of the front doors", context =>
                RestartDoorsInTurnAsync(doors.Select(d => d.Resource).ToList(), context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(door.Resource),
                    context.Services, context.CancellationToken),
                new CommandOptions
                {
                    Description = "Restart each front door in turn, each once the others are healthy, so that a changed recipe (a new image) reaches them all while the others answer.",
                    IconName = "ArrowClockwise",
                    UpdateState = RunningContainer.EnabledWhileRunning,
                });
        }
        return doors;
    }

    // Each door restarted (Aspire's Restart: a person's, for supervision) and healthy before the next; never one while another is down.
    private static async Task<ExecuteCommandResult> RestartDoorsInTurnAsync(IReadOnlyList<INginxResource> doors, ILogger logger,
        IServiceProvider services, CancellationToken cancellationToken)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        foreach (var door in doors)
        {
            // The dashboard's health of a door just restarted lags its own check by a few seconds: wait for it.
            foreach (var other in doors.Where(other => other != door))
            {
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                waiting.CancelAfter(OthersHealthyTimeout);
                try
                {
                    await notifications.WaitForResourceHealthyAsync(other.Name, waiting.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return CommandResults.Failure($"{other.Name} is not healthy: restarting {door.Name} would leave the site with no door.");
                }
            }
            logger.LogInformation("Rolling restart of the front doors: restarting {Door}", door.Name);
            if (await NginxCommandExtensions.RestartUntilHealthyAsync(services, door, cancellationToken) is { } failure)
            {
                return CommandResults.Failure(failure);
            }
            logger.LogInformation("Rolling restart of the front doors: {Door} is healthy again", door.Name);
        }
        return CommandResults.Success();
    }

    // The doors whose nginx runs now, as the engine says: a stopped one reads the whole list when it starts again.
    private static async Task<List<string>> RunningContainersAsync(IEnumerable<IResourceBuilder<INginxResource>> doors, CancellationToken cancellationToken)
    {
        var running = new List<string>();
        foreach (var door in doors.Select(d => d.Resource).OfType<NginxFrontDoorResource>())
        {
            var (_, output) = await DockerCli.RunAsync(["container", "inspect", "--format", "{{.State.Running}}", door.ContainerName], cancellationToken);
            if (output.Trim() == "true")
            {
                running.Add(door.ContainerName);
            }
        }
        return running;
    }
}
