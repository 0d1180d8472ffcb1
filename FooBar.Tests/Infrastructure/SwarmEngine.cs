using FooBar.Hosting.Processes;

namespace FooBar.Tests.Infrastructure;

/// <summary>One of a service's tasks, as this node runs it: the task's id and its container's.</summary>
public sealed record SwarmTask(string TaskId, string ContainerId);

/// <summary>Something in the Docker engine, by kind (service, container, secret, network, volume) and name.</summary>
public sealed record EngineObject(string Kind, string Name)
{
    public override string ToString() => $"{Kind} {Name}";
}

/// <summary>
/// What the Docker engine says about Swarm, for the tests of a stack that scripts/swarm.sh deployed: this node's swarm
/// state, a service's healthy tasks, and everything of a stack's in the engine. On a single node every task runs here,
/// so a service's tasks are the containers labelled with its name.
/// </summary>
public static class SwarmEngine
{
    // Docker's own labels: `docker stack deploy` puts the first on what it creates (the script on its secrets), Swarm the second on a task's container.
    private const string StackLabel = "com.docker.stack.namespace";
    private const string ServiceLabel = "com.docker.swarm.service.name";
    private const string TaskLabel = "com.docker.swarm.task.id";

    // Removal goes in this order: a service's containers go with it, and a network or volume only once no container uses it.
    private static readonly string[] Kinds = ["service", "container", "secret", "network", "volume"];

    /// <summary>This node's swarm state: <c>inactive</c> in no swarm, <c>active</c> as a member.</summary>
    public static async Task<string> LocalNodeStateAsync() =>
        (await DockerEngine.RunAsync("info", "--format", "{{.Swarm.LocalNodeState}}")).Trim();

    /// <summary>The tasks of <paramref name="service"/> whose containers are running and healthy.</summary>
    public static async Task<IReadOnlyList<SwarmTask>> HealthyTasksAsync(string service)
    {
        var output = await DockerEngine.RunAsync("ps", "--filter", $"label={ServiceLabel}={service}", "--filter", "health=healthy",
            "--format", $"{{{{.Label \"{TaskLabel}\"}}}} {{{{.ID}}}}");
        return Lines(output).Select(line => line.Split(' ')).Select(fields => new SwarmTask(fields[0], fields[1])).ToList();
    }

    /// <summary>
    /// Waits until the healthy tasks of <paramref name="service"/> are as <paramref name="wanted"/> says and returns them; after
    /// <paramref name="timeout"/>, fails with the tasks it last saw and Swarm's account of the service's tasks.
    /// </summary>
    public static async Task<IReadOnlyList<SwarmTask>> WaitForHealthyTasksAsync(string service, Func<IReadOnlyList<SwarmTask>, bool> wanted, TimeSpan timeout)
    {
        var tasks = await Poll.UntilAsync(() => HealthyTasksAsync(service), wanted, timeout, TimeSpan.FromSeconds(1));
        if (wanted(tasks))
        {
            return tasks;
        }
        var healthy = tasks.Count > 0 ? string.Join(", ", tasks.Select(task => task.TaskId)) : "none";
        var history = await DockerCli.RunAsync(["service", "ps", "--no-trunc", service], CancellationToken.None);
        throw new TimeoutException($"{service} did not reach the wanted tasks within {timeout.TotalSeconds:0} s; healthy: {healthy}\n{history.Output}");
    }

    /// <summary>Replaces every task of <paramref name="service"/> with a new one, as an operator's <c>docker service update --force</c> does; returns at once.</summary>
    public static Task RestartServiceAsync(string service) => DockerEngine.RunAsync("service", "update", "--force", "--detach", service);

    /// <summary>Every service, container, secret, network and volume of <paramref name="stack"/>: labelled with its namespace or named <c>&lt;stack&gt;_…</c>.</summary>
    public static async Task<IReadOnlyList<EngineObject>> ObjectsOfStackAsync(string stack)
    {
        // Services and secrets live in a swarm only: outside one, listing them is an error.
        var inSwarm = await LocalNodeStateAsync() == "active";
        var objects = new List<EngineObject>();
        foreach (var kind in Kinds.Where(kind => inSwarm || kind is not ("service" or "secret")))
        {
            string[] list = kind == "container" ? ["ps", "--all", "--format", "{{.Names}}"] : [kind, "ls", "--format", "{{.Name}}"];
            var labelled = await DockerEngine.RunAsync([.. list, "--filter", $"label={StackLabel}={stack}"]);
            var named = await DockerEngine.RunAsync([.. list, "--filter", $"name={stack}_"]);
            objects.AddRange(Lines(labelled).Concat(Lines(named).Where(name => name.StartsWith($"{stack}_", StringComparison.Ordinal)))
                .Distinct().Select(name => new EngineObject(kind, name)));
        }
        return objects;
    }

    /// <summary>
    /// Removes whatever of <paramref name="stack"/> is left, and leaves the swarm when <paramref name="leaveSwarm"/> and no
    /// service is left in it: the tests' own clean-up, for when the stack's `down` did not do its job. Returns what it found.
    /// </summary>
    public static async Task<IReadOnlyList<EngineObject>> RemoveStackAsync(string stack, bool leaveSwarm)
    {
        var found = await ObjectsOfStackAsync(stack);
        // Swarm removes a service's containers after the service, so a network or volume may refuse once or twice.
        var left = found;
        for (var pass = 0; left.Count > 0 && pass < 30; pass++)
        {
            foreach (var leftover in left.OrderBy(o => Array.IndexOf(Kinds, o.Kind)))
            {
                await DockerCli.RunAsync(leftover.Kind switch
                {
                    "container" => ["rm", "--force", leftover.Name],
                    "volume" => ["volume", "rm", "--force", leftover.Name],
                    _ => [leftover.Kind, "rm", leftover.Name],
                }, CancellationToken.None);
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
            left = await ObjectsOfStackAsync(stack);
        }
        if (leaveSwarm && await LocalNodeStateAsync() == "active" && Lines(await DockerEngine.RunAsync("service", "ls", "--quiet")).Count == 0)
        {
            await DockerEngine.RunAsync("swarm", "leave", "--force");
        }
        return found;
    }

    private static List<string> Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
