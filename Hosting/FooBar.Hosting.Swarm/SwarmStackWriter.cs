using System.Text;

namespace FooBar.Hosting.Swarm;

/// <summary>
/// Walks the AppHost's model into a Swarm stack: one service per compute resource (one for all instances of a project,
/// with replicas), with its ports, volumes, health check and placement; values and secrets rendered by
/// <see cref="SwarmValues"/>, a standalone dashboard (<see cref="SwarmDashboard"/>), then each resource's own part
/// (<c>PublishAsSwarmService</c>, such as nginx's upstream files). Beside it, the build recipe of every image the stack
/// names and the list of secrets the deploy makes.
/// </summary>
internal sealed class SwarmStackWriter
{
    // .NET's container images listen on 8080 (ASPNETCORE_HTTP_PORTS); a project's endpoint without a target port gets it.
    private const int ProjectContainerPort = 8080;

    private readonly SwarmEnvironmentResource _environment;
    private readonly DistributedApplicationExecutionContext _executionContext;
    private readonly SwarmStackFile _stack = new();
    private readonly Dictionary<string, string> _configFiles = [];
    private readonly List<string> _notes = [];
    private readonly SwarmValues _values;
    // Targets of host folders that the stack carries as configs rather than in an image.
    private readonly HashSet<string> _mountsAsConfigs = [];

    public SwarmStackWriter(SwarmEnvironmentResource environment, DistributedApplicationExecutionContext executionContext)
    {
        _environment = environment;
        _executionContext = executionContext;
        _values = new SwarmValues(_stack, _notes);
    }

    /// <summary>The environment the stack is written for.</summary>
    internal SwarmEnvironmentResource Environment => _environment;

    /// <summary>The stack's values and secrets.</summary>
    internal SwarmValues Values => _values;

    /// <summary>The service generated for a resource (its instance group's), once the model has been walked.</summary>
    internal SwarmService Service(IResource resource) => _stack.Services[ServiceName(resource)];

    /// <summary>The service a resource runs in: its instance group's name (<c>web</c> for <c>web-2</c>), or its own.</summary>
    public static string ServiceName(IResource resource) =>
        (resource.Annotations.OfType<ProjectInstanceAnnotation>().FirstOrDefault()?.Name ?? resource.Name).ToLowerInvariant();

    /// <summary>The resources the stack runs as services: one per instance group, each instance group by its first instance.</summary>
    public static IReadOnlyList<IResource> ServiceResources(DistributedApplicationModel model, SwarmEnvironmentResource environment) =>
        model.GetComputeResources()
            .Where(r => r.GetComputeEnvironment() is null || r.GetComputeEnvironment() == environment)
            // The first instance stands for all of them: they are configured alike.
            .Where(r => r.Annotations.OfType<ProjectInstanceAnnotation>().FirstOrDefault() is null or { Number: 1 })
            .ToList();

    /// <summary>The port an endpoint listens on inside its container.</summary>
    public static int ContainerPort(IResource resource, EndpointAnnotation endpoint) =>
        endpoint.TargetPort ?? (resource is ProjectResource ? ProjectContainerPort
            : throw new InvalidOperationException($"Endpoint {endpoint.Name} of {resource.Name} has no container port."));

    /// <summary>Writes the stack file, its config files, the list of its secrets and the images' recipes to <paramref name="outputDirectory"/>.</summary>
    /// <returns>The stack file's path.</returns>
    public async Task<string> WriteAsync(DistributedApplicationModel model, string outputDirectory, CancellationToken cancellationToken)
    {
        var yaml = await GenerateAsync(model, cancellationToken);
        Directory.CreateDirectory(outputDirectory);
        var images = new SwarmImageRecipes(Path.Combine(outputDirectory, SwarmEnvironmentResource.ImagesFolder));
        foreach (var resource in ServiceResources(model, _environment))
        {
            await images.WriteAsync(resource, ServiceName(resource), _mountsAsConfigs, cancellationToken);
        }
        if (_environment.DashboardFolder is { } dashboard && _stack.Services.ContainsKey(SwarmEnvironmentResource.DashboardService))
        {
            await images.WriteDashboardAsync(SwarmEnvironmentResource.DashboardService, dashboard, cancellationToken);
        }
        if (_environment.FloatingAddress is { } floating)
        {
            images.WriteFromFolder(SwarmFloatingAddressService.Name, floating.RecipeFolder);
        }
        foreach (var (file, content) in _configFiles)
        {
            await File.WriteAllTextAsync(Path.Combine(outputDirectory, file), content, cancellationToken);
        }
        // The deploy makes each of these (scripts/swarm.sh), one a line: its name, and after a tab the file it is made
        // from where it has one. The stack file only names them.
        await File.WriteAllTextAsync(Path.Combine(outputDirectory, SwarmEnvironmentResource.SecretsFileName),
            string.Concat(_stack.Secrets.Select(secret => secret.Key + (secret.Value.SourceFile is { } file ? $"\t{file}" : "") + "\n")), cancellationToken);
        var stackFile = Path.Combine(outputDirectory, SwarmEnvironmentResource.StackFileName);
        await File.WriteAllTextAsync(stackFile, yaml, cancellationToken);
        return stackFile;
    }

    /// <summary>Adds the config <paramref name="config"/> with <paramref name="content"/> to the stack, and to <paramref name="service"/> at <paramref name="target"/>.</summary>
    internal void AddConfig(SwarmService service, string config, string content, string target)
    {
        _configFiles[$"{config}.conf"] = content;
        _stack.Configs[config] = new SwarmConfig { File = $"./{config}.conf" };
        service.Configs.Add(new SwarmConfigReference { Source = config, Target = target });
        _mountsAsConfigs.Add(Path.GetDirectoryName(target)!.Replace('\\', '/'));
    }

    // The stack file's text: a header of notes, then the YAML.
    private async Task<string> GenerateAsync(DistributedApplicationModel model, CancellationToken cancellationToken)
    {
        // Its subnet fixed (the deploy may choose another), so a service can be told which peers are the stack's.
        _stack.Networks[_environment.Name] = new SwarmNetwork { Ipam = new SwarmIpam { Config = [new SwarmIpamConfig { Subnet = _environment.NetworkSubnet }] } };
        var resources = ServiceResources(model, _environment);
        var hasDashboard = _environment.DashboardFolder is not null && resources.Any(r => r.Annotations.OfType<OtlpExporterAnnotation>().Any());
        foreach (var resource in resources)
        {
            var service = await ServiceAsync(resource, cancellationToken);
            SwarmDashboard.SendTelemetry(resource, service, _environment.DashboardFolder is not null);
            _stack.Services[ServiceName(resource)] = service;
        }
        if (hasDashboard)
        {
            _stack.Services[SwarmEnvironmentResource.DashboardService] = SwarmDashboard.Service(this, _values);
        }
        foreach (var resource in resources)
        {
            foreach (var customization in resource.Annotations.OfType<SwarmServiceCustomizationAnnotation>())
            {
                customization.Configure(new SwarmServiceContext(this, resource, _stack.Services[ServiceName(resource)]));
            }
        }
        if (_environment.FloatingAddress is { } floating)
        {
            var frontDoor = floating.FrontDoor;
            var healthPath = frontDoor.TryGetLastAnnotation<HttpHealthCheckAnnotation>(out var health) ? health.Path
                : throw new InvalidOperationException($"{frontDoor.Name} has no HTTP health check: the floating address follows it.");
            _stack.Services[SwarmFloatingAddressService.Name] = SwarmFloatingAddressService.Service(this, _stack, floating, _stack.Services[ServiceName(frontDoor)], healthPath);
        }

        var header = new StringBuilder()
            .AppendLine($"# FooBar's Docker Swarm stack, written by the AppHost's publish step (publish-{_environment.Name}) from the model")
            .AppendLine("# that `dotnet run` starts. Regenerate it, do not edit it. scripts/swarm.sh builds the images from images/ and deploys it;")
            .AppendLine($"# `docker stack deploy` needs {SwarmEnvironmentResource.StackVariable} (the stack's name, which its secrets' names begin with) and")
            .AppendLine($"# {SwarmEnvironmentResource.ImageTagVariable} (the images' tag: the commit); {SwarmEnvironmentResource.ImagePrefixVariable} names another registry.");
        foreach (var note in _notes)
        {
            header.AppendLine($"# - {note}");
        }
        return header.AppendLine().Append(_stack.ToYaml()).ToString();
    }

    private async Task<SwarmService> ServiceAsync(IResource resource, CancellationToken cancellationToken)
    {
        var name = ServiceName(resource);
        var service = NewService(name);
        service.Deploy.Replicas = resource.Annotations.OfType<ProjectInstanceAnnotation>().FirstOrDefault()?.Count ?? 1;
        if (resource.Annotations.OfType<RestartOnCrashAnnotation>().FirstOrDefault() is { } restart)
        {
            service.Deploy.RestartPolicy = new SwarmRestartPolicy { Delay = $"{(int)restart.FirstDelay.TotalSeconds}s" };
        }

        foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.IsExternal))
        {
            var target = ContainerPort(resource, endpoint);
            var variable = service.Ports.Count == 0 ? $"{name}_PORT" : $"{name}_{endpoint.Name}_PORT";
            SwarmDeployment.Publish(service, variable, endpoint.Port ?? target, target, endpoint.Protocol.ToString().ToLowerInvariant());
        }

        await _values.AddEnvironmentAsync(resource, service, _executionContext, cancellationToken);
        await _values.AddArgumentsAsync(resource, service, _executionContext, cancellationToken);
        AddVolumes(resource, service);
        service.Healthcheck = Healthcheck(resource);
        SwarmDeployment.PlaceAndUpdate(service);
        return service;
    }

    /// <summary>A service that runs an image built for this stack (images/&lt;service&gt;/), named by the deploy's tag.</summary>
    internal SwarmService NewService(string name)
    {
        var service = new SwarmService
        {
            Image = $"${{{SwarmEnvironmentResource.ImagePrefixVariable}:-{SwarmEnvironmentResource.ImageRepository}}}/{name}:${{{SwarmEnvironmentResource.ImageTagVariable}:?set {SwarmEnvironmentResource.ImageTagVariable} to the images' tag}}",
            // Time to finish what a task is doing: MySQL flushes its data, the app answers what it has started.
            StopGracePeriod = "30s",
        };
        service.Networks.Add(_environment.Name);
        // The service name resolves to its tasks: the virtual IP does not answer on this kind of machine (issue 12).
        service.Deploy.EndpointMode = "dnsrr";
        return service;
    }

    // Named volumes only: any other folder of this host goes into the service's image (SwarmImageRecipes), or is a config.
    private void AddVolumes(IResource resource, SwarmService service)
    {
        foreach (var mount in resource.Annotations.OfType<ContainerMountAnnotation>())
        {
            if (mount.Type == ContainerMountType.Volume && mount.Source is { } volume)
            {
                _stack.Volumes[volume] = new SwarmVolume();
                service.Volumes.Add($"{volume}:{mount.Target}{(mount.IsReadOnly ? ":ro" : "")}");
            }
        }
    }

    private SwarmHealthcheck? Healthcheck(IResource resource)
    {
        if (resource.TryGetLastAnnotation<ContainerHealthCheckAnnotation>(out var container))
        {
            return new SwarmHealthcheck { Test = [.. container.Test] };
        }
        if (resource.TryGetLastAnnotation<HttpHealthCheckAnnotation>(out var http))
        {
            var endpoint = resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == http.EndpointName);
            return new SwarmHealthcheck { Test = SwarmDeployment.CurlCheck(ContainerPort(resource, endpoint), http.Path) };
        }
        if (resource.Annotations.OfType<HealthCheckAnnotation>().Any())
        {
            _notes.Add($"{ServiceName(resource)}: its health check has no container equivalent yet.");
        }
        return null;
    }
}
