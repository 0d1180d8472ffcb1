using System.Globalization;

namespace FooBar.Hosting.Swarm;

/// <summary>
/// The one place a stack's values are rendered: an environment variable as its task sees it (another service's
/// endpoint by service name, a parameter from the deploying shell), and every secret as a file from an external
/// Docker secret, never as a value (a connection string keeps its password in a file beside it).
/// </summary>
internal sealed class SwarmValues(SwarmStackFile stack, List<string> notes)
{
    private const string ConnectionStringPrefix = "ConnectionStrings__";
    // Where a connection string's password is, as a file: ConnectionStringPasswordFiles__<name> (read by the app).
    private const string PasswordFilePrefix = "ConnectionStringPasswordFiles__";
    // Stands for a secret while a value is assembled, so the secret's part can be found and left out.
    private static readonly string SecretMark = $"secret{Guid.NewGuid():N}";

    /// <summary>Sets the service's environment from the resource's, as the model resolves it for a publish.</summary>
    public async Task AddEnvironmentAsync(IResource resource, SwarmService service, DistributedApplicationExecutionContext executionContext,
        CancellationToken cancellationToken)
    {
        var configuration = await ExecutionConfigurationBuilder.Create(resource).WithEnvironmentVariablesConfig()
            .BuildAsync(executionContext, cancellationToken: cancellationToken);
        foreach (var (key, (value, _)) in configuration.EnvironmentVariablesWithUnprocessed)
        {
            if (SecretOnly(value) is { } whole)
            {
                // The official images' convention: NAME_FILE names a file holding NAME's value.
                service.Environment[$"{key}_FILE"] = Secret(service, whole.Name);
                continue;
            }

            var secrets = new List<ParameterResource>();
            var text = Render(value, secrets);
            if (text is null)
            {
                notes.Add($"{SwarmStackWriter.ServiceName(resource)}: {key} is left out: its value has no meaning outside this host.");
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
                service.Environment[$"{PasswordFilePrefix}{key[ConnectionStringPrefix.Length..]}"] = Secret(service, secrets[0].Name);
            }
            else
            {
                notes.Add($"{SwarmStackWriter.ServiceName(resource)}: {key} is left out: it holds a secret in a form the stack cannot carry as a file.");
            }
        }
    }

    /// <summary>
    /// Mounts the secret <paramref name="name"/> in the service and returns its file: an external secret, named after the
    /// stack in the swarm (two stacks never share one), mounted under its short name. The deploy makes it from
    /// <paramref name="sourceFile"/> on its machine, or with a random value.
    /// </summary>
    public string Secret(SwarmService service, string name, string? sourceFile = null)
    {
        var stackVariable = SwarmEnvironmentResource.StackVariable;
        stack.Secrets[name] = new SwarmSecret { Name = $"${{{stackVariable}:?set {stackVariable} to the stack's name}}_{name}", SourceFile = sourceFile };
        if (!service.Secrets.Contains(name))
        {
            service.Secrets.Add(name);
        }
        return $"/run/secrets/{name}";
    }

    private static ParameterResource? SecretOnly(object value) => value switch
    {
        ParameterResource { Secret: true } parameter => parameter,
        ReferenceExpression { Format: "{0}", ValueProviders: [ParameterResource { Secret: true } parameter] } => parameter,
        _ => null,
    };

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
        var host = SwarmStackWriter.ServiceName(expression.Endpoint.Resource);
        var port = SwarmStackWriter.ContainerPort(expression.Endpoint.Resource, endpoint).ToString(CultureInfo.InvariantCulture);
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
}
