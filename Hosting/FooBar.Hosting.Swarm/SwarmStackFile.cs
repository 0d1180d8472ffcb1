using YamlDotNet.Serialization;

namespace FooBar.Hosting.Swarm;

/// <summary>
/// A Docker Swarm stack file (the compose format that <c>docker stack deploy</c> reads, with its <c>deploy:</c>
/// sections), as the Swarm environment writes it. Only what FooBar's stack uses; names follow the compose
/// specification, so a callback that edits a <see cref="SwarmService"/> reads like the YAML it produces.
/// </summary>
public sealed class SwarmStackFile
{
    /// <summary>
    /// The compose file format: Debian's docker.io 20.10 reads a stack file only with a 3.x version (3.8 has every
    /// key used here: long port syntax, configs from files, health checks' start_period).
    /// </summary>
    public string Version { get; set; } = "3.8";

    /// <summary>The services by name: one per resource, one for all instances of a project.</summary>
    public Dictionary<string, SwarmService> Services { get; } = [];

    /// <summary>Named volumes: Swarm creates them on the node a task runs on.</summary>
    public Dictionary<string, SwarmVolume> Volumes { get; } = [];

    /// <summary>Secrets, created beside the stack (<c>external: true</c>): their values are never in this file.</summary>
    public Dictionary<string, SwarmSecret> Secrets { get; } = [];

    /// <summary>Configs: small files the stack carries to its tasks, from files written beside the stack file.</summary>
    public Dictionary<string, SwarmConfig> Configs { get; } = [];

    /// <summary>Networks: one overlay network for the whole stack.</summary>
    public Dictionary<string, SwarmNetwork> Networks { get; } = [];
}

/// <summary>One Swarm service: a container image run as one or more tasks.</summary>
public sealed class SwarmService
{
    /// <summary>The image, <c>name:tag</c>; a compose variable such as <c>${FOOBAR_IMAGE_TAG}</c> is filled in at deploy.</summary>
    public string? Image { get; set; }

    /// <summary>The container's command, replacing the image's.</summary>
    public List<string>? Command { get; set; }

    /// <summary>The environment: names to values, with references already turned into service names.</summary>
    public SortedDictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Ports published on the node.</summary>
    public List<SwarmPort> Ports { get; } = [];

    /// <summary>Volume mounts, <c>volume:/path[:ro]</c>.</summary>
    public List<string> Volumes { get; } = [];

    /// <summary>The secrets mounted at <c>/run/secrets/&lt;name&gt;</c>.</summary>
    public List<string> Secrets { get; } = [];

    /// <summary>The configs mounted into the container.</summary>
    public List<SwarmConfigReference> Configs { get; } = [];

    /// <summary>The networks the service joins.</summary>
    public List<string> Networks { get; } = [];

    /// <summary>Linux capabilities the container gets beyond Docker's default set (<c>NET_ADMIN</c>).</summary>
    public List<string> CapAdd { get; } = [];

    /// <summary>The container's health check, run by the engine inside the container.</summary>
    public SwarmHealthcheck? Healthcheck { get; set; }

    /// <summary>How long a stopping task may take to finish what it is doing before it is killed (<c>20s</c>).</summary>
    public string? StopGracePeriod { get; set; }

    /// <summary>How Swarm runs the service: replicas, how it is found, restarts.</summary>
    public SwarmDeploy Deploy { get; set; } = new();
}

/// <summary>A service's <c>deploy:</c> section.</summary>
public sealed class SwarmDeploy
{
    /// <summary><c>global</c>: one task on every node the placement allows; unset, <see cref="Replicas"/> tasks.</summary>
    public string? Mode { get; set; }

    /// <summary>How many tasks run the service; unset in <c>global</c> mode.</summary>
    public int? Replicas { get; set; } = 1;

    /// <summary><c>dnsrr</c>: the service name resolves to its tasks' addresses (the virtual IP does not answer on this kind of machine).</summary>
    public string? EndpointMode { get; set; }

    /// <summary>When Swarm starts a task again.</summary>
    public SwarmRestartPolicy? RestartPolicy { get; set; }

    /// <summary>Which nodes may run the service's tasks.</summary>
    public SwarmPlacement? Placement { get; set; }

    /// <summary>How a new version replaces the running tasks.</summary>
    public SwarmUpdateConfig? UpdateConfig { get; set; }

    /// <summary>How a failed update is undone.</summary>
    public SwarmUpdateConfig? RollbackConfig { get; set; }
}

/// <summary>A service's <c>deploy.placement</c>.</summary>
public sealed class SwarmPlacement
{
    /// <summary>Conditions a node must meet, such as <c>node.role == manager</c>.</summary>
    public List<string> Constraints { get; } = [];

    /// <summary>How the scheduler spreads tasks over the nodes that meet the constraints.</summary>
    public List<SwarmPlacementPreference> Preferences { get; } = [];
}

/// <summary>One of a placement's preferences.</summary>
public sealed class SwarmPlacementPreference
{
    /// <summary>A node label (<c>node.labels.foobar.node</c>) whose values get equal shares of the tasks.</summary>
    public string? Spread { get; set; }
}

/// <summary>A service's <c>deploy.update_config</c> or <c>deploy.rollback_config</c>.</summary>
public sealed class SwarmUpdateConfig
{
    /// <summary>How many tasks are replaced at a time.</summary>
    public int Parallelism { get; set; } = 1;

    /// <summary><c>start-first</c> (the new task runs before the old one stops) or <c>stop-first</c>.</summary>
    public string Order { get; set; } = "stop-first";

    /// <summary>How long a new task is watched for failure before the next one is replaced (<c>10s</c>).</summary>
    public string? Monitor { get; set; }

    /// <summary>What to do when a new task fails: <c>pause</c>, <c>continue</c> or <c>rollback</c> (updates only).</summary>
    public string? FailureAction { get; set; }
}

/// <summary>A service's <c>deploy.restart_policy</c>.</summary>
public sealed class SwarmRestartPolicy
{
    /// <summary><c>none</c>, <c>on-failure</c> or <c>any</c>.</summary>
    public string Condition { get; set; } = "on-failure";

    /// <summary>The wait before a restart, as a compose duration (<c>1s</c>).</summary>
    public string? Delay { get; set; }
}

/// <summary>A published port in the long syntax, which alone can say <c>mode: host</c>.</summary>
public sealed class SwarmPort
{
    /// <summary>The port in the container.</summary>
    public int Target { get; set; }

    /// <summary>The port on the node: a number, or a compose variable with the model's port as its default.</summary>
    public string Published { get; set; } = "";

    /// <summary><c>tcp</c> or <c>udp</c>.</summary>
    public string Protocol { get; set; } = "tcp";

    /// <summary><c>host</c>: on the node running the task, not through the ingress routing mesh.</summary>
    public string Mode { get; set; } = "host";
}

/// <summary>A container health check: the command and its timing.</summary>
public sealed class SwarmHealthcheck
{
    /// <summary>The command, <c>["CMD", …]</c>; exit code 0 means healthy.</summary>
    public List<string> Test { get; set; } = [];

    /// <summary>Time between checks.</summary>
    public string Interval { get; set; } = "5s";

    /// <summary>Time a check may take.</summary>
    public string Timeout { get; set; } = "3s";

    /// <summary>Failed checks in a row that make the container unhealthy.</summary>
    public int Retries { get; set; } = 3;

    /// <summary>Time after start during which failures do not count.</summary>
    public string StartPeriod { get; set; } = "30s";
}

/// <summary>A config mounted into a service's container.</summary>
public sealed class SwarmConfigReference
{
    /// <summary>The config's name in the stack file.</summary>
    public string Source { get; set; } = "";

    /// <summary>The path in the container.</summary>
    public string Target { get; set; } = "";
}

/// <summary>A named volume.</summary>
public sealed class SwarmVolume
{
    /// <summary>The volume driver; <c>local</c> keeps the data on the node that runs the task.</summary>
    public string Driver { get; set; } = "local";
}

/// <summary>A secret created outside the stack (<c>docker secret create</c>), so its value is in no file.</summary>
public sealed class SwarmSecret
{
    /// <summary>Always true: the stack names secrets, it never carries them.</summary>
    public bool External { get; set; } = true;

    /// <summary>The secret's name in the swarm, when it differs from its name in the stack (a stack's own prefix).</summary>
    public string? Name { get; set; }

    /// <summary>The file on the deploying machine the deploy makes the secret from; none: a random value. Not in the stack file.</summary>
    [YamlIgnore]
    public string? SourceFile { get; set; }
}

/// <summary>A config read from a file beside the stack file.</summary>
public sealed class SwarmConfig
{
    /// <summary>The file, relative to the stack file.</summary>
    public string File { get; set; } = "";
}

/// <summary>A network of the stack.</summary>
public sealed class SwarmNetwork
{
    /// <summary><c>overlay</c>: spans every node of the swarm; unset for a network the stack does not make.</summary>
    public string? Driver { get; set; } = "overlay";

    /// <summary>True for a network that exists outside the stack, such as each node's own <c>host</c>.</summary>
    public bool? External { get; set; }

    /// <summary>The network's name in the engine, when it differs from its name in the stack.</summary>
    public string? Name { get; set; }

    /// <summary>Its addresses, when the stack fixes them (so that a service can be told which peers are the stack's).</summary>
    public SwarmIpam? Ipam { get; set; }
}

/// <summary>A network's address management: its subnets.</summary>
public sealed class SwarmIpam
{
    /// <summary>One entry a subnet.</summary>
    public List<SwarmIpamConfig> Config { get; set; } = [];
}

/// <summary>One subnet of a network.</summary>
public sealed class SwarmIpamConfig
{
    /// <summary>The subnet in CIDR notation, or a compose variable with a default.</summary>
    public string Subnet { get; set; } = "";
}

internal static class SwarmStackFileYaml
{
    // Compose's names are snake_case (endpoint_mode, start_period); empty lists and unset values are left out; a string
    // that YAML would read as a number or a boolean ("true", "8080") is quoted, so the environment stays strings.
    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithNamingConvention(YamlDotNet.Serialization.NamingConventions.UnderscoredNamingConvention.Instance)
        .WithQuotingNecessaryStrings()
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitEmptyCollections)
        .DisableAliases()
        .Build();

    public static string ToYaml(this SwarmStackFile stack) => Serializer.Serialize(stack);
}
