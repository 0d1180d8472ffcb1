using System.Globalization;
using System.Text;
using Aspire.Hosting.ApplicationModel;

namespace FooBar.Hosting.Swarm;

/// <summary>
/// Turns the AppHost's model into a Swarm stack: one service per compute resource (one for all instances of a
/// project, with replicas), references as service names on the stack's overlay network, secrets as files from
/// external Docker secrets, health checks as container health checks, nginx's upstreams as configs, and a standalone
/// dashboard that receives every service's telemetry; beside it, the build recipe of every image the stack names.
/// </summary>
internal sealed class SwarmStackWriter(SwarmEnvironmentResource environment, DistributedApplicationExecutionContext executionContext)
{
    // .NET's container images listen on 8080 (ASPNETCORE_HTTP_PORTS); a project's endpoint without a target port gets it.
    private const int ProjectContainerPort = 8080;
    /// <summary>The file, beside an upstream's servers.conf, that names its servers by DNS name (nginx/follow-upstreams).</summary>
    public const string UpstreamNamesFile = "servers.dns.conf";
    private const string ConnectionStringPrefix = "ConnectionStrings__";
    // Where a connection string's password is, as a file: ConnectionStringPasswordFiles__<name> (read by the app).
    private const string PasswordFilePrefix = "ConnectionStringPasswordFiles__";
    // Stands for a secret while a value is assembled, so the secret's part can be found and left out.
    private static readonly string SecretMark = $"secret{Guid.NewGuid():N}";

    private readonly SwarmStackFile _stack = new();
    private readonly Dictionary<string, string> _configFiles = [];
    private readonly List<string> _notes = [];
    // Targets of host folders that the stack carries as configs rather than in an image.
    private readonly HashSet<string> _mountsAsConfigs = [];

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

    /// <summary>Writes the stack file, its config files and the images' recipes to <paramref name="outputDirectory"/>.</summary>
    /// <returns>The stack file's path.</returns>
    public async Task<string> WriteAsync(DistributedApplicationModel model, string outputDirectory, CancellationToken cancellationToken)
    {
        var yaml = await GenerateAsync(model, cancellationToken);
        Directory.CreateDirectory(outputDirectory);
        var images = new SwarmImageRecipes(environment, Path.Combine(outputDirectory, SwarmEnvironmentResource.ImagesFolder));
        foreach (var resource in ServiceResources(model, environment))
        {
            await images.WriteAsync(resource, ServiceName(resource), _mountsAsConfigs, cancellationToken);
        }
        if (environment.DashboardFolder is { } dashboard && _stack.Services.ContainsKey(SwarmEnvironmentResource.DashboardService))
        {
            await images.WriteDashboardAsync(SwarmEnvironmentResource.DashboardService, dashboard, cancellationToken);
        }
        foreach (var (file, content) in _configFiles)
        {
            await File.WriteAllTextAsync(Path.Combine(outputDirectory, file), content, cancellationToken);
        }
        var stackFile = Path.Combine(outputDirectory, SwarmEnvironmentResource.StackFileName);
        await File.WriteAllTextAsync(stackFile, yaml, cancellationToken);
        return stackFile;
    }

    // The stack file's text: a header of notes, then the YAML.
    private async Task<string> GenerateAsync(DistributedApplicationModel model, CancellationToken cancellationToken)
    {
        _stack.Networks[environment.Name] = new SwarmNetwork();
        var resources = ServiceResources(model, environment);
        foreach (var resource in resources)
        {
            _stack.Services[ServiceName(resource)] = await ServiceAsync(resource, cancellationToken);
        }
        if (environment.DashboardFolder is not null && resources.Any(r => r.Annotations.OfType<OtlpExporterAnnotation>().Any()))
        {
            _stack.Services[SwarmEnvironmentResource.DashboardService] = Dashboard();
        }
        foreach (var resource in resources)
        {
            foreach (var customization in resource.Annotations.OfType<SwarmServiceCustomizationAnnotation>())
            {
                customization.Configure(resource, _stack.Services[ServiceName(resource)]);
            }
        }

        var header = new StringBuilder()
            .AppendLine($"# FooBar's Docker Swarm stack, written by the AppHost's publish step (publish-{environment.Name}) from the model")
            .AppendLine("# that `dotnet run` starts. Regenerate it, do not edit it. scripts/swarm.sh builds the images from images/ and deploys it;")
            .AppendLine($"# `docker stack deploy` needs {environment.StackVariable} (the stack's name, which its secrets' names begin with) and")
            .AppendLine($"# {environment.ImageTagVariable} (the images' tag: the commit); {environment.ImagePrefixVariable} names another registry.");
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
            service.Deploy.RestartPolicy = new SwarmRestartPolicy { Delay = Duration(restart.FirstDelay) };
        }

        foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.IsExternal))
        {
            var target = ContainerPort(resource, endpoint);
            Publish(service, name, endpoint.Name, endpoint.Port ?? target, target, endpoint.Protocol.ToString().ToLowerInvariant());
        }

        await AddEnvironmentAsync(resource, service, cancellationToken);
        AddMounts(resource, service);
        if (resource.Annotations.OfType<NginxUpstream>().Any())
        {
            AddUpstreamConfigs(resource, service);
        }
        service.Healthcheck = Healthcheck(resource);
        PlaceAndUpdate(service);
        return service;
    }

    // Every service runs an image built for this stack (images/<service>/), named by the deploy's tag.
    private SwarmService NewService(string name)
    {
        var service = new SwarmService
        {
            Image = $"${{{environment.ImagePrefixVariable}:-{environment.ImageRepository}}}/{name}:${{{environment.ImageTagVariable}:?set {environment.ImageTagVariable} to the images' tag}}",
            // Time to finish what a task is doing: MySQL flushes its data, the app answers what it has started.
            StopGracePeriod = "30s",
        };
        service.Networks.Add(environment.Name);
        // The service name resolves to its tasks: the virtual IP does not answer on this kind of machine (issue 12).
        service.Deploy.EndpointMode = "dnsrr";
        return service;
    }

    // Host mode: the port opens on the node running the task (the ingress routing mesh does not answer here), the
    // model's port unless the deploying shell sets <SERVICE>_PORT.
    private static void Publish(SwarmService service, string serviceName, string endpointName, int published, int target, string protocol)
    {
        var variable = (service.Ports.Count == 0 ? $"{serviceName}_PORT" : $"{serviceName}_{endpointName}_PORT").Replace('-', '_').ToUpperInvariant();
        service.Ports.Add(new SwarmPort
        {
            Target = target,
            Published = $"${{{variable}:-{published.ToString(CultureInfo.InvariantCulture)}}}",
            Protocol = protocol,
        });
    }

    // A service that owns something of its node (a published port, a volume's data) stays on the manager, the node
    // whose address visitors use, and is replaced by stopping the old task first: two cannot hold one port or one
    // data folder. Any other service starts a new task, waits for it to be healthy, then stops an old one; a new
    // version whose tasks fail is rolled back.
    private static void PlaceAndUpdate(SwarmService service)
    {
        var pinned = service.Ports.Count > 0 || service.Volumes.Count > 0;
        if (pinned)
        {
            service.Deploy.Placement = new SwarmPlacement { Constraints = { "node.role == manager" } };
        }
        var order = pinned ? "stop-first" : "start-first";
        service.Deploy.UpdateConfig = new SwarmUpdateConfig { Order = order, Monitor = "10s", FailureAction = "rollback" };
        service.Deploy.RollbackConfig = new SwarmUpdateConfig { Order = order, Monitor = "10s" };
    }

    private async Task AddEnvironmentAsync(IResource resource, SwarmService service, CancellationToken cancellationToken)
    {
        var configuration = await ExecutionConfigurationBuilder.Create(resource).WithEnvironmentVariablesConfig()
            .BuildAsync(executionContext, cancellationToken: cancellationToken);
        foreach (var (key, (value, _)) in configuration.EnvironmentVariablesWithUnprocessed)
        {
            if (SecretOnly(value) is { } whole)
            {
                // The official images' convention: NAME_FILE names a file holding NAME's value.
                service.Environment[$"{key}_FILE"] = Secret(service, whole);
                continue;
            }

            var secrets = new List<ParameterResource>();
            var text = Render(value, secrets);
            if (text is null)
            {
                _notes.Add($"{ServiceName(resource)}: {key} is left out: its value has no meaning outside this host.");
                continue;
            }
            if (secrets.Count == 0)
            {
                service.Environment[key] = text;
                continue;
            }

            if (key.StartsWith(ConnectionStringPrefix, StringComparison.Ordinal) && secrets.Count == 1 && PasswordOnly(text))
            {
                // The connection without its password, which the app reads from the secret's file (FooBar.Web's AddFooBarData).
                service.Environment[key] = WithoutSecrets(text);
                service.Environment[$"{PasswordFilePrefix}{key[ConnectionStringPrefix.Length..]}"] = Secret(service, secrets[0]);
            }
            else
            {
                _notes.Add($"{ServiceName(resource)}: {key} is left out: it holds a secret in a form the stack cannot carry as a file.");
            }
        }

        if (resource.Annotations.OfType<OtlpExporterAnnotation>().FirstOrDefault() is not { } otlp)
        {
            return;
        }
        // One name for all of a service's tasks in the traces, sent to the stack's dashboard over its overlay network.
        service.Environment["OTEL_SERVICE_NAME"] = ServiceName(resource);
        if (environment.DashboardFolder is not null)
        {
            var (port, protocol) = otlp.RequiredProtocol switch
            {
                OtlpProtocol.HttpJson => (SwarmEnvironmentResource.DashboardOtlpHttpPort, "http/json"),
                OtlpProtocol.HttpProtobuf => (SwarmEnvironmentResource.DashboardOtlpHttpPort, "http/protobuf"),
                _ => (SwarmEnvironmentResource.DashboardOtlpGrpcPort, "grpc"),
            };
            service.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://{SwarmEnvironmentResource.DashboardService}:{port}";
            service.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol;
        }
    }

    // The standalone dashboard: its UI on a published port behind its key (a Docker secret), OTLP only inside the stack.
    private SwarmService Dashboard()
    {
        var name = SwarmEnvironmentResource.DashboardService;
        var service = NewService(name);
        Publish(service, name, "http", SwarmEnvironmentResource.DashboardPort, SwarmEnvironmentResource.DashboardPort, "tcp");
        service.Environment["ASPNETCORE_URLS"] = $"http://0.0.0.0:{SwarmEnvironmentResource.DashboardPort}";
        service.Environment["DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://0.0.0.0:{SwarmEnvironmentResource.DashboardOtlpGrpcPort}";
        service.Environment["DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = $"http://0.0.0.0:{SwarmEnvironmentResource.DashboardOtlpHttpPort}";
        // Only the stack's own services reach the OTLP ports (they are not published).
        service.Environment["Dashboard__Otlp__AuthMode"] = "Unsecured";
        service.Environment["Dashboard__Frontend__AuthMode"] = "BrowserToken";
        // env-from-files, the image's entrypoint, turns these into the settings themselves: one key logs a browser in
        // and opens the telemetry API (/api/telemetry/…, with the X-API-Key header).
        var key = Secret(service, SwarmEnvironmentResource.DashboardKeySecret);
        service.Environment["Dashboard__Frontend__BrowserToken_FILE"] = key;
        service.Environment["Dashboard__Api__AuthMode"] = "ApiKey";
        service.Environment["Dashboard__Api__PrimaryApiKey_FILE"] = key;
        // Its start-up banner would write the login link, token and all, to the service's log.
        service.Environment["Logging__LogLevel__Aspire.Dashboard.DashboardWebApplication"] = "Warning";
        service.Healthcheck = new SwarmHealthcheck { Test = CurlCheck(SwarmEnvironmentResource.DashboardPort, "/health") };
        PlaceAndUpdate(service);
        return service;
    }

    private static ParameterResource? SecretOnly(object value) => value switch
    {
        ParameterResource { Secret: true } parameter => parameter,
        ReferenceExpression { Format: "{0}", ValueProviders: [ParameterResource { Secret: true } parameter] } => parameter,
        _ => null,
    };

    private string Secret(SwarmService service, ParameterResource parameter) => Secret(service, parameter.Name);

    // An external secret, named after the stack in the swarm (two stacks never share one), mounted under its short name.
    private string Secret(SwarmService service, string name)
    {
        _stack.Secrets[name] = new SwarmSecret { Name = $"${{{environment.StackVariable}:?set {environment.StackVariable} to the stack's name}}_{name}" };
        if (!service.Secrets.Contains(name))
        {
            service.Secrets.Add(name);
        }
        return $"/run/secrets/{name}";
    }

    // A value as the task sees it; secrets become marks (and are listed), null when it has no meaning in the stack.
    private static string? Render(object? value, List<ParameterResource> secrets)
    {
        switch (value)
        {
            case null:
                return "";
            case string text:
                return text;
            case ParameterResource { Secret: true } secret:
                secrets.Add(secret);
                return SecretMark;
            case ParameterResource parameter:
                // Filled in from the deploying shell's environment, as Aspire's Compose publisher does.
                return $"${{{parameter.Name.Replace('-', '_').ToUpperInvariant()}}}";
            case ConnectionStringReference reference:
                return Render(reference.Resource.ConnectionStringExpression, secrets);
            case IResourceWithConnectionString resource:
                return Render(resource.ConnectionStringExpression, secrets);
            case EndpointReference endpoint:
                return Render(endpoint.Property(EndpointProperty.Url), secrets);
            case EndpointReferenceExpression expression:
                return RenderEndpoint(expression);
            case ReferenceExpression expression:
                var arguments = new object?[expression.ValueProviders.Count];
                for (var i = 0; i < arguments.Length; i++)
                {
                    arguments[i] = Render(expression.ValueProviders[i], secrets);
                    if (arguments[i] is null)
                    {
                        return null;
                    }
                }
                return string.Format(CultureInfo.InvariantCulture, expression.Format, arguments);
            default:
                return null;
        }
    }

    // Another service's endpoint, as a task reaches it: by service name on the overlay network, on its container port.
    private static string RenderEndpoint(EndpointReferenceExpression expression)
    {
        var endpoint = expression.Endpoint.EndpointAnnotation;
        var host = ServiceName(expression.Endpoint.Resource);
        var port = ContainerPort(expression.Endpoint.Resource, endpoint).ToString(CultureInfo.InvariantCulture);
        return expression.Property switch
        {
            EndpointProperty.Url => $"{endpoint.UriScheme}://{host}:{port}",
            EndpointProperty.Host or EndpointProperty.IPV4Host => host,
            EndpointProperty.Port or EndpointProperty.TargetPort => port,
            EndpointProperty.HostAndPort => $"{host}:{port}",
            EndpointProperty.Scheme => endpoint.UriScheme,
            var property => throw new NotSupportedException($"Endpoint property {property} has no Swarm equivalent."),
        };
    }

    // True when the one part holding a secret is the password.
    private static bool PasswordOnly(string connectionString) =>
        connectionString.Split(';').Where(part => part.Contains(SecretMark, StringComparison.Ordinal))
            .All(part => part.StartsWith("Password=", StringComparison.OrdinalIgnoreCase) && part.Length == "Password=".Length + SecretMark.Length);

    // Drops each "key=value" part that holds a secret; every other part is joined back unchanged.
    private static string WithoutSecrets(string connectionString) =>
        string.Join(';', connectionString.Split(';').Where(part => !part.Contains(SecretMark, StringComparison.Ordinal)));

    private static int ContainerPort(IResource resource, EndpointAnnotation endpoint) =>
        endpoint.TargetPort ?? (resource is ProjectResource ? ProjectContainerPort
            : throw new InvalidOperationException($"Endpoint {endpoint.Name} of {resource.Name} has no container port."));

    private void AddMounts(IResource resource, SwarmService service)
    {
        foreach (var mount in resource.Annotations.OfType<ContainerMountAnnotation>())
        {
            if (mount.Type == ContainerMountType.Volume && mount.Source is { } volume)
            {
                _stack.Volumes[volume] = new SwarmVolume();
                service.Volumes.Add($"{volume}:{mount.Target}{(mount.IsReadOnly ? ":ro" : "")}");
            }
            // Any other folder of this host goes into the service's image (SwarmImageRecipes), but an upstream's, which is a config.
        }
    }

    // nginx's upstream names the service's tasks by Swarm's DNS name (tasks.<service>), in a file beside the one its
    // templates include: the nginx image's follow-upstreams writes that one with the tasks' addresses, and again, with a
    // reload, whenever they change (Debian's nginx 1.22 cannot re-resolve an upstream's names itself).
    private void AddUpstreamConfigs(IResource nginx, SwarmService service)
    {
        foreach (var upstream in nginx.Annotations.OfType<NginxUpstream>())
        {
            var folder = nginx.Annotations.OfType<ContainerMountAnnotation>().Single(m => m.Source == Path.GetDirectoryName(upstream.ServersFile));
            var lines = new StringBuilder($"# {upstream.Name}'s servers in the swarm, written by the AppHost: every task of each service, by Swarm's DNS name.\n");
            foreach (var server in upstream.Servers.Select(s => (Service: ServiceName(s), Port: ContainerPort(s, s.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == upstream.EndpointName)))).Distinct())
            {
                lines.Append(CultureInfo.InvariantCulture, $"server tasks.{server.Service}:{server.Port} max_fails=1 fail_timeout=10s;\n");
            }
            // A config cannot change once made: its name carries its content's hash, so a new list is a new config.
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(lines.ToString())))[..8];
            var config = $"{nginx.Name}-{upstream.Name}-servers-{hash}";
            _configFiles[$"{config}.conf"] = lines.ToString();
            _stack.Configs[config] = new SwarmConfig { File = $"./{config}.conf" };
            service.Configs.Add(new SwarmConfigReference { Source = config, Target = $"{folder.Target}/{UpstreamNamesFile}" });
            _mountsAsConfigs.Add(folder.Target);
        }
    }

    private SwarmHealthcheck? Healthcheck(IResource resource)
    {
        if (resource.Annotations.OfType<ContainerHealthCheckAnnotation>().LastOrDefault() is { } container)
        {
            return new SwarmHealthcheck { Test = [.. container.Test] };
        }
        foreach (var check in resource.Annotations.OfType<HealthCheckAnnotation>())
        {
            if (HttpHealthCheck(resource, check.Key) is { } http)
            {
                return new SwarmHealthcheck { Test = CurlCheck(ContainerPort(resource, http.Endpoint), http.Path) };
            }
        }
        if (resource.Annotations.OfType<HealthCheckAnnotation>().Any())
        {
            _notes.Add($"{ServiceName(resource)}: its health check has no container equivalent yet.");
        }
        return null;
    }

    // curl, which every image of the stack has, against the port the container listens on.
    private static List<string> CurlCheck(int port, string path) =>
        ["CMD", "curl", "--fail", "--silent", "--output", "/dev/null", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}{path}"];

    // WithHttpHealthCheck keeps its endpoint and path only in its key, "<resource>_<endpoint>_<path>_<status>_check".
    private static (EndpointAnnotation Endpoint, string Path)? HttpHealthCheck(IResource resource, string key)
    {
        var prefix = $"{resource.Name}_";
        if (!key.StartsWith(prefix, StringComparison.Ordinal) || !key.EndsWith("_check", StringComparison.Ordinal))
        {
            return null;
        }
        var middle = key[prefix.Length..^"_check".Length];
        var endpointEnd = middle.IndexOf('_');
        var statusStart = middle.LastIndexOf('_');
        if (endpointEnd < 0 || statusStart <= endpointEnd || !int.TryParse(middle[(statusStart + 1)..], out _))
        {
            return null;
        }
        var endpoint = resource.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.Name == middle[..endpointEnd]);
        var path = middle[(endpointEnd + 1)..statusStart];
        return endpoint is null || !path.StartsWith('/') ? null : (endpoint, path);
    }

    private static string Duration(TimeSpan time) => $"{(int)time.TotalSeconds}s";
}
