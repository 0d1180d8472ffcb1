using System.Globalization;
using System.Text;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting.Swarm;

/// <summary>
/// Turns the AppHost's model into a Swarm stack: one service per compute resource (one for all instances of a
/// project, with replicas), references as service names on the stack's overlay network, secrets as files from
/// external Docker secrets, health checks as container health checks, nginx's upstreams as configs.
/// </summary>
internal sealed class SwarmStackWriter(SwarmEnvironmentResource environment, DistributedApplicationExecutionContext executionContext)
{
    // .NET's container images listen on 8080 (ASPNETCORE_HTTP_PORTS); a project's endpoint without a target port gets it.
    private const int ProjectContainerPort = 8080;
    // Stands for a secret while a value is assembled, so the secret's part can be found and left out.
    private static readonly string SecretMark = $"secret{Guid.NewGuid():N}";

    private readonly SwarmStackFile _stack = new();
    private readonly Dictionary<string, string> _configFiles = [];
    private readonly List<string> _notes = [];

    /// <summary>The service a resource runs in: its instance group's name (<c>web</c> for <c>web-2</c>), or its own.</summary>
    public static string ServiceName(IResource resource) =>
        (resource.Annotations.OfType<ProjectInstanceAnnotation>().FirstOrDefault()?.Name ?? resource.Name).ToLowerInvariant();

    /// <summary>Writes the stack file and its config files to <paramref name="outputDirectory"/>.</summary>
    /// <returns>The stack file's path.</returns>
    public async Task<string> WriteAsync(DistributedApplicationModel model, string outputDirectory, CancellationToken cancellationToken)
    {
        var yaml = await GenerateAsync(model, cancellationToken);
        Directory.CreateDirectory(outputDirectory);
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
        var resources = model.GetComputeResources()
            .Where(r => r.GetComputeEnvironment() is null || r.GetComputeEnvironment() == environment)
            // The first instance stands for all of them: they are configured alike.
            .Where(r => r.Annotations.OfType<ProjectInstanceAnnotation>().FirstOrDefault() is null or { Number: 1 })
            .ToList();
        foreach (var resource in resources)
        {
            _stack.Services[ServiceName(resource)] = await ServiceAsync(resource, cancellationToken);
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
            .AppendLine("# that `dotnet run` starts. Regenerate it, do not edit it. Not deployable yet: the images it names are not built")
            .AppendLine($"# here, and {environment.ImageTagVariable} (their tag: the commit) must be set for `docker stack deploy`.");
        foreach (var note in _notes)
        {
            header.AppendLine($"# - {note}");
        }
        return header.AppendLine().Append(_stack.ToYaml()).ToString();
    }

    private async Task<SwarmService> ServiceAsync(IResource resource, CancellationToken cancellationToken)
    {
        var name = ServiceName(resource);
        var service = new SwarmService { Image = Image(resource, name) };
        service.Networks.Add(environment.Name);
        service.Deploy.Replicas = resource.Annotations.OfType<ProjectInstanceAnnotation>().FirstOrDefault()?.Count ?? 1;
        // The service name resolves to its tasks: the virtual IP does not answer on this kind of machine (issue 12).
        service.Deploy.EndpointMode = "dnsrr";
        if (resource.Annotations.OfType<RestartOnCrashAnnotation>().FirstOrDefault() is { } restart)
        {
            service.Deploy.RestartPolicy = new SwarmRestartPolicy { Delay = Duration(restart.FirstDelay) };
        }

        foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.IsExternal))
        {
            var target = ContainerPort(resource, endpoint);
            // Host mode: the port opens on the node running the task; the ingress routing mesh does not answer here.
            service.Ports.Add(new SwarmPort { Target = target, Published = endpoint.Port ?? target, Protocol = endpoint.Protocol.ToString().ToLowerInvariant() });
        }

        await AddEnvironmentAsync(resource, service, cancellationToken);
        AddMounts(resource, service);
        if (resource.Annotations.OfType<NginxUpstream>().Any())
        {
            AddUpstreamConfigs(resource, service);
        }
        service.Healthcheck = Healthcheck(resource);
        return service;
    }

    private string Image(IResource resource, string serviceName)
    {
        // What FooBar builds (a project, a Dockerfile) is its own image, tagged at deploy; the rest is pulled as named.
        if (resource.RequiresImageBuild())
        {
            return $"{environment.ImageRepository}/{serviceName}:${{{environment.ImageTagVariable}:?set {environment.ImageTagVariable} to the images' tag}}";
        }
        var image = resource.Annotations.OfType<ContainerImageAnnotation>().Last();
        var reference = image.Registry is null ? image.Image : $"{image.Registry}/{image.Image}";
        return image.SHA256 is not null ? $"{reference}@sha256:{image.SHA256}" : $"{reference}:{image.Tag ?? "latest"}";
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

            var files = string.Join(", ", secrets.Select(s => Secret(service, s)));
            if (key.StartsWith("ConnectionStrings__", StringComparison.Ordinal))
            {
                // The connection without its password, which the task reads from the secret's file instead.
                service.Environment[key] = WithoutSecrets(text);
                _notes.Add($"{ServiceName(resource)}: {key} has no password here; it is in {files}, which the app reads in a later slice (a _FILE-style setting).");
            }
            else
            {
                _notes.Add($"{ServiceName(resource)}: {key} is left out (it holds a secret, mounted at {files}).");
            }
        }

        if (resource.Annotations.OfType<OtlpExporterAnnotation>().Any())
        {
            // One name for all of a service's tasks in the traces; where they go (a dashboard in the stack) is a later slice.
            service.Environment["OTEL_SERVICE_NAME"] = ServiceName(resource);
        }
    }

    private static ParameterResource? SecretOnly(object value) => value switch
    {
        ParameterResource { Secret: true } parameter => parameter,
        ReferenceExpression { Format: "{0}", ValueProviders: [ParameterResource { Secret: true } parameter] } => parameter,
        _ => null,
    };

    private string Secret(SwarmService service, ParameterResource parameter)
    {
        _stack.Secrets[parameter.Name] = new SwarmSecret();
        if (!service.Secrets.Contains(parameter.Name))
        {
            service.Secrets.Add(parameter.Name);
        }
        return $"/run/secrets/{parameter.Name}";
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
            ApplicationModel.EndpointProperty.Url => $"{endpoint.UriScheme}://{host}:{port}",
            ApplicationModel.EndpointProperty.Host or ApplicationModel.EndpointProperty.IPV4Host => host,
            ApplicationModel.EndpointProperty.Port or ApplicationModel.EndpointProperty.TargetPort => port,
            ApplicationModel.EndpointProperty.HostAndPort => $"{host}:{port}",
            ApplicationModel.EndpointProperty.Scheme => endpoint.UriScheme,
            var property => throw new NotSupportedException($"Endpoint property {property} has no Swarm equivalent."),
        };
    }

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
            else if (!resource.Annotations.OfType<NginxUpstream>().Any(u => mount.Source == Path.GetDirectoryName(u.ServersFile)))
            {
                // A folder of this host: in a swarm, what it holds goes into the service's image.
                _notes.Add($"{ServiceName(resource)}: {mount.Target} is a folder of this host in `dotnet run`; the image has to hold it.");
            }
        }
    }

    // nginx's upstream lists the service's tasks by Swarm's DNS name, resolved when nginx starts.
    private void AddUpstreamConfigs(IResource nginx, SwarmService service)
    {
        foreach (var upstream in nginx.Annotations.OfType<NginxUpstream>())
        {
            var folder = nginx.Annotations.OfType<ContainerMountAnnotation>().Single(m => m.Source == Path.GetDirectoryName(upstream.ServersFile));
            var lines = new StringBuilder($"# {upstream.Name}'s servers in the swarm, written by the AppHost: every task of each service, by Swarm's DNS.\n");
            foreach (var server in upstream.Servers.Select(s => (Service: ServiceName(s), Port: ContainerPort(s, s.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == upstream.EndpointName)))).Distinct())
            {
                lines.Append(CultureInfo.InvariantCulture, $"server tasks.{server.Service}:{server.Port} max_fails=1 fail_timeout=10s;\n");
            }
            var config = $"{nginx.Name}-{upstream.Name}-servers";
            _configFiles[$"{config}.conf"] = lines.ToString();
            _stack.Configs[config] = new SwarmConfig { File = $"./{config}.conf" };
            service.Configs.Add(new SwarmConfigReference { Source = config, Target = $"{folder.Target}/{Path.GetFileName(upstream.ServersFile)}" });
        }
        _notes.Add($"{ServiceName(nginx)}: resolves tasks.<service> when it starts; to follow tasks that come and go it needs `resolver 127.0.0.11` and re-resolution (a later slice).");
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
                // curl in the image (a later slice adds it to FooBar's images), against the port the container listens on.
                return new SwarmHealthcheck { Test = ["CMD", "curl", "--fail", "--silent", "--output", "/dev/null", $"http://127.0.0.1:{ContainerPort(resource, http.Endpoint)}{http.Path}"] };
            }
        }
        if (resource.Annotations.OfType<HealthCheckAnnotation>().Any())
        {
            _notes.Add($"{ServiceName(resource)}: its health check has no container equivalent yet.");
        }
        return null;
    }

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
