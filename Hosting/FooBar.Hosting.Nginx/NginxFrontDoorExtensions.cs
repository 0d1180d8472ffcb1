using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Processes;
using FooBar.Hosting.Nginx;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FooBar.Hosting;

/// <summary>High availability for nginx: several front doors on the site's one address, any of which may stop or crash.</summary>
public static class NginxFrontDoorExtensions
{
    /// <summary>The script in nginx's recipe folder that runs one door (see its header).</summary>
    public const string FrontDoorScript = "front-door.sh";

    /// <summary>The name of the command on every door that restarts the doors one at a time.</summary>
    public const string RollingRestartDoorsCommandName = "rolling-restart-doors";

    // How long a rolling restart of the doors waits for the others to be healthy before it restarts the next.
    private static readonly TimeSpan OthersHealthyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// In run mode, runs the nginx configured so far as <paramref name="count"/> front doors, <c>name-1</c> …
    /// <c>name-N</c>, in its place: each is its own resource (health, logs, spans, reload command) running the
    /// recipe's image (<c>WithDockerfile</c>) in the host's network namespace, where every door listens on the site's
    /// port with <c>reuseport</c>. The kernel spreads new connections over the doors; one that stops or crashes leaves
    /// the group, and with <c>net.ipv4.tcp_migrate_req=1</c> (scripts/setup.sh) the connections still queued on it move
    /// to another. Each door also listens on a port of its own (the site's port + its number) that only its health
    /// check asks. The doors take nginx's bind mounts, environment, telemetry, upstreams and relationships; its
    /// commands become theirs (a reload reloads one door; a rolling restart reloads every running door at each step).
    /// A door that exits on its own is started again (<c>WithRestartOnCrash</c>), and each door starts with the recipe
    /// as it is then, built if it changed: the doors' own rolling restart (<see cref="RollingRestartDoorsCommandName"/>)
    /// restarts one door at a time while the others answer, which is how a new recipe reaches them all.
    /// Call it last: what is added to nginx afterwards does not reach the doors. One door keeps nginx as it is; a published
    /// Swarm stack runs nginx on every node instead (<c>mode: global</c>).
    /// </summary>
    /// <param name="builder">The nginx resource builder, configured.</param>
    /// <param name="count">How many doors; fewer than two leaves nginx as it is.</param>
    /// <param name="healthCheckPath">The path each door's own health check asks for on its own port.</param>
    /// <returns>The nginx resource builder, whose resource has left the model when the doors replace it.</returns>
    /// <example>
    /// <code>
    /// builder.AddNginx("nginx", port: 8080).WithDockerfile("../nginx").WithConfigTemplates("../nginx/templates").RunAsFrontDoors(2);
    /// </code>
    /// </example>
    public static IResourceBuilder<NginxResource> RunAsFrontDoors(this IResourceBuilder<NginxResource> builder, int count,
        string healthCheckPath = "/nginx/health")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var application = builder.ApplicationBuilder;
        if (count == 1)
        {
            return builder;
        }
        if (!application.ExecutionContext.IsRunMode)
        {
            // In a swarm, a front door on every node, each opening the site's port on its own node.
            return builder.PublishAsSwarmService(context => context.RunOnEveryNode());
        }
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Front doors share the host's network namespace, which Docker gives containers on Linux only.");
        }

        var nginx = builder.Resource;
        var recipe = nginx.Annotations.OfType<DockerfileBuildAnnotation>().LastOrDefault()
            ?? throw new InvalidOperationException($"{nginx.Name} has no recipe: call WithDockerfile first (its folder holds {FrontDoorScript}).");
        var site = nginx.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == NginxResource.HttpEndpointName);
        if (site.Port is not { } sitePort)
        {
            throw new InvalidOperationException($"{nginx.Name}'s front doors share one port: give AddNginx a port.");
        }

        // HTTPS (WithTls), shared by the doors like the site's HTTP address.
        var secure = nginx.Annotations.OfType<EndpointAnnotation>().SingleOrDefault(e => e.Name == NginxResource.HttpsEndpointName);
        if (secure is { Port: null })
        {
            throw new InvalidOperationException($"{nginx.Name}'s front doors share one HTTPS port: give WithTls a port.");
        }

        var image = new NginxFrontDoorImage(recipe);
        var upstreams = nginx.Annotations.OfType<NginxUpstream>().ToList();
        var commands = nginx.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name).ToHashSet();
        // The doors share the upstream files: one writes at a time.
        var writingUpstreams = new SemaphoreSlim(1, 1);
        var doors = new List<NginxFrontDoorResource>();
        application.Resources.Remove(nginx);

        for (var number = 1; number <= count; number++)
        {
            var door = new NginxFrontDoorResource($"{nginx.Name}-{number}", Path.Combine(recipe.ContextPath, FrontDoorScript), recipe.ContextPath)
            {
                Image = image,
            };
            doors.Add(door);
            // The image this door's current start runs: the recipe as it was when the door started.
            string? running = null;
            // What nginx was given that a door keeps as it is: its files, environment, telemetry, upstreams and links.
            foreach (var annotation in nginx.Annotations.Where(a => a is ContainerMountAnnotation or OtlpExporterAnnotation
                or NginxUpstream or ResourceRelationshipAnnotation or ResourceUrlsCallbackAnnotation))
            {
                door.Annotations.Add(annotation);
            }
            // An environment annotation is evaluated for one resource only (a second door sharing it got none): each door its own.
            foreach (var environment in nginx.Annotations.OfType<EnvironmentCallbackAnnotation>())
            {
                door.Annotations.Add(new EnvironmentCallbackAnnotation(environment.Callback));
            }

            var health = new EndpointAnnotation(System.Net.Sockets.ProtocolType.Tcp, uriScheme: "http",
                name: NginxFrontDoorResource.HealthEndpointName, port: sitePort + number, isProxied: false);
            var resource = application.AddResource(door)
                .WithAnnotation(new EndpointAnnotation(System.Net.Sockets.ProtocolType.Tcp, uriScheme: "http",
                    name: NginxFrontDoorResource.HttpEndpointName, port: sitePort, isExternal: site.IsExternal, isProxied: false))
                .WithAnnotation(health)
                .WithHttpHealthCheck(healthCheckPath, endpointName: NginxFrontDoorResource.HealthEndpointName);
            var http = resource.GetEndpoint(NginxFrontDoorResource.HttpEndpointName);
            var own = resource.GetEndpoint(NginxFrontDoorResource.HealthEndpointName);
            resource
                // The site's address shared (reuseport), and the door's own; loopback only, as nginx's published port was.
                .WithEnvironment("NGINX_LISTEN", ReferenceExpression.Create(
                    $"127.0.0.1:{http.Property(EndpointProperty.Port)} reuseport, 127.0.0.1:{own.Property(EndpointProperty.Port)}"))
                .WithArgs(context =>
                {
                    context.Args.Add(door.ContainerName);
                    context.Args.Add(running ?? image.Name);
                    foreach (var mount in door.Annotations.OfType<ContainerMountAnnotation>().Where(m => m.Type == ContainerMountType.BindMount))
                    {
                        context.Args.Add("--volume");
                        context.Args.Add($"{mount.Source}:{mount.Target}{(mount.IsReadOnly ? ":ro" : "")}");
                    }
                })
                .OnBeforeResourceStarted(async (_, e, cancellationToken) =>
                {
                    var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(door);
                    // Aspire evaluates the arguments above again at every start, after this.
                    running = await image.EnsureBuiltAsync(logger, cancellationToken);
                    // Before every start, with every server in rotation, as for a single nginx.
                    await writingUpstreams.WaitAsync(cancellationToken);
                    try
                    {
                        foreach (var upstream in upstreams)
                        {
                            await upstream.WriteAsync(down: null, cancellationToken);
                        }
                    }
                    finally
                    {
                        writingUpstreams.Release();
                    }
                })
                // Killed or crashed, a door starts again (back-off 1 s, 2 s … 30 s); a person's Stop is respected.
                .WithRestartOnCrash()
                .WithCommand(RollingRestartDoorsCommandName, "Rolling restart of the front doors", context =>
                    RestartDoorsInTurnAsync(doors, context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(door),
                        context.Services, context.CancellationToken),
                    new CommandOptions
                    {
                        Description = "Restart each front door in turn, each once the others are healthy, so that a changed recipe (a new image) reaches them all while the others answer.",
                        IconName = "ArrowClockwise",
                        UpdateState = RunningContainer.EnabledWhileRunning,
                    });

            if (secure is not null)
            {
                var https = resource
                    .WithAnnotation(new EndpointAnnotation(System.Net.Sockets.ProtocolType.Tcp, uriScheme: "https",
                        name: NginxFrontDoorResource.HttpsEndpointName, port: secure.Port, isExternal: secure.IsExternal, isProxied: false))
                    .GetEndpoint(NginxFrontDoorResource.HttpsEndpointName);
                // In place of nginx's container port: the site's HTTPS address, shared (reuseport), on loopback.
                resource
                    .WithEnvironment("NGINX_TLS_LISTEN", ReferenceExpression.Create($"127.0.0.1:{https.Property(EndpointProperty.Port)} reuseport"))
                    .WithEnvironment("NGINX_HTTPS_PORT", https.Property(EndpointProperty.Port));
            }
            if (commands.Contains(NginxCommandExtensions.ReloadCommandName))
            {
                // Its own nginx only: the command is enabled while the door runs, and its container is named by the door.
                resource.WithReloadCommand(_ => door.ContainerName);
            }
            if (commands.Contains(NginxCommandExtensions.RollingRestartCommandName) && upstreams.FirstOrDefault(u => u.Servers.Count > 1) is { } rolled)
            {
                resource.WithCommand(NginxCommandExtensions.RollingRestartCommandName, $"Rolling restart of {rolled.Name}", async context =>
                    await NginxCommandExtensions.RollingRestartAsync(rolled, await RunningContainersAsync(doors, context.CancellationToken),
                        context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(door), context.Services, context.CancellationToken),
                    new CommandOptions
                    {
                        Description = $"Restart each of {rolled.Name}'s servers in turn, each out of every front door's rotation until it is healthy again.",
                        IconName = "ArrowClockwise",
                        UpdateState = RunningContainer.EnabledWhileRunning,
                    });
            }
        }
        return builder;
    }

    // Each door restarted (Aspire's Restart: a person's, for supervision) and healthy before the next; never one while another is down.
    private static async Task<ExecuteCommandResult> RestartDoorsInTurnAsync(IReadOnlyList<NginxFrontDoorResource> doors, ILogger logger,
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
    private static async Task<List<string>> RunningContainersAsync(IEnumerable<NginxFrontDoorResource> doors, CancellationToken cancellationToken)
    {
        var running = new List<string>();
        foreach (var door in doors)
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
