using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using FooBar.Hosting.Processes;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// FooBar deployed to Docker Swarm by scripts/swarm.sh, as an operator deploys it (issue 12): one stack for a test class,
/// under a name and on ports of its own so that it runs beside the suite's other stacks, and taken down at the end
/// whatever the tests did. The script is the only way the stack is made or changed; the tests read the engine.
/// </summary>
public sealed partial class SwarmStackFixture : IAsyncLifetime, ISite
{
    /// <summary>The web replicas that <c>up</c> asks for.</summary>
    public const int WebInstances = 3;

    /// <summary>How long <c>update</c> may take: it rebuilds the web image, then replaces the tasks one at a time.</summary>
    public static readonly TimeSpan UpdateTimeout = TimeSpan.FromMinutes(5);

    // The first `up` on a machine builds every image.
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan DownTimeout = TimeSpan.FromMinutes(3);

    private bool _takenDown;

    public SwarmStackFixture()
    {
        Database = new SwarmDatabase(ServiceName("mysql"));
    }

    /// <summary>This run's own stack: lower-case and short, since the engine's names of its objects add to it.</summary>
    public string StackName { get; } = $"foobar-test-{Guid.NewGuid():N}"[..18];

    /// <summary>nginx's published HTTPS port on loopback: the way in.</summary>
    public Uri SiteAddress { get; private set; } = null!;

    /// <summary>nginx's published HTTP port on loopback, which answers with a redirect to <see cref="SiteAddress"/>.</summary>
    public Uri SiteHttpAddress { get; private set; } = null!;

    /// <summary>The stack's DNS server for foobar.com, as this node publishes it on loopback.</summary>
    public StackDns Dns { get; private set; } = null!;

    /// <summary>The stack's own dashboard, where its services send their telemetry.</summary>
    public Uri DashboardAddress { get; private set; } = null!;

    /// <summary>Whether the engine was in no swarm before <c>up</c>: then the swarm is this run's, and <c>down</c> must leave it.</summary>
    public bool CreatedTheSwarm { get; private set; }

    /// <summary>What <c>up</c> printed.</summary>
    public string UpOutput { get; private set; } = "";

    public SwarmDatabase Database { get; }

    /// <summary>The engine's name of one of the stack's services: <c>web</c> is <c>&lt;stack&gt;_web</c>.</summary>
    public string ServiceName(string service) => $"{StackName}_{service}";

    public async Task InitializeAsync()
    {
        await DockerEngine.RequireAsync();
        CreatedTheSwarm = await SwarmEngine.LocalNodeStateAsync() == "inactive";
        var (sitePort, httpsPort, dnsPort, dashboardPort) = await FreePortsAsync();
        SiteAddress = new Uri($"https://127.0.0.1:{httpsPort}/");
        SiteHttpAddress = new Uri($"http://127.0.0.1:{sitePort}/");
        DashboardAddress = new Uri($"http://127.0.0.1:{dashboardPort}/");
        Dns = new StackDns(new IPEndPoint(IPAddress.Loopback, dnsPort));

        // The stack's DNS server publishes UDP and TCP on one port, which the kernel offered free for TCP.
        var up = await RunScriptAsync(UpTimeout, "up", "--web-instances", $"{WebInstances}", "--port", $"{sitePort}", "--https-port", $"{httpsPort}", "--dns-port", $"{dnsPort}", "--dashboard-port", $"{dashboardPort}");
        UpOutput = up.Output;
        // xunit disposes a fixture whose start failed too: whatever part of the stack was made is taken down there.
        if (!up.Succeeded)
        {
            throw new InvalidOperationException(Explain("up", up));
        }
    }

    /// <inheritdoc />
    public HttpClient CreateSiteClient(string host = "www.foobar.com") => SiteClient.Create(SiteAddress, host);

    /// <summary>
    /// The telemetry the stack's dashboard received, through its API with the dashboard's key, which is read where
    /// the script leaves it: in the dashboard task's secret file, never in a command line or a log.
    /// </summary>
    public async Task<DashboardTelemetry> TelemetryAsync()
    {
        var dashboard = Assert.Single(await SwarmEngine.HealthyTasksAsync(ServiceName("dashboard")));
        var key = await DockerEngine.ExecAsync(dashboard.ContainerId, ["cat", "/run/secrets/dashboard-key"]);
        Assert.True(key.Succeeded, $"the dashboard's key could not be read: {key.Output}");
        var client = new HttpClient { BaseAddress = DashboardAddress };
        client.DefaultRequestHeaders.Add("X-API-Key", key.Output.Trim());
        return new DashboardTelemetry(client);
    }

    /// <summary>Rebuilds the web image and rolls it out: returns when the rollout has finished, failed or rolled back.</summary>
    internal Task<ProgramResult> UpdateAsync() => RunScriptAsync(UpdateTimeout, "update");

    /// <summary>What <c>swarm.sh status</c> prints: nodes, services, the stack's health, tasks and URLs.</summary>
    internal Task<ProgramResult> StatusAsync() => RunScriptAsync(TimeSpan.FromMinutes(1), "status");

    /// <summary>Takes the stack down, and the swarm with it when the script made it.</summary>
    internal async Task<ProgramResult> DownAsync()
    {
        var down = await RunScriptAsync(DownTimeout, "down");
        _takenDown |= down.Succeeded;
        return down;
    }

    /// <summary>A failure message for a run of the script: its exit code and the last lines it printed (an image build prints thousands).</summary>
    internal static string Explain(string command, ProgramResult result) =>
        $"scripts/swarm.sh {command} exited with {result.ExitCode}; its last lines:\n{string.Join('\n', result.Output.Split('\n').TakeLast(200))}";

    public async Task DisposeAsync()
    {
        // The last test takes the stack down and checks it; when it failed or did not run, the fixture does it here.
        var down = _takenDown ? null : await DownAsync();
        var swarmLeft = CreatedTheSwarm && await SwarmEngine.LocalNodeStateAsync() != "inactive";
        var leftovers = await SwarmEngine.RemoveStackAsync(StackName, leaveSwarm: CreatedTheSwarm);
        if (down is { Succeeded: false } || leftovers.Count > 0 || swarmLeft)
        {
            throw new InvalidOperationException(
                (down is { Succeeded: false } ? Explain("down", down) + "\n" : "") +
                $"Still there after down (the tests removed the stack's own, and the swarm if nothing else was in it): {string.Join(", ", leftovers.Select(o => o.ToString()).Concat(swarmLeft ? ["the swarm this run created"] : []))}");
        }
    }

    private Task<ProgramResult> RunScriptAsync(TimeSpan timeout, string command, params string[] options) =>
        HostProgram.RunAsync(Path.Combine(Repository.Root, "scripts", "swarm.sh"), [command, "--stack", StackName, .. options],
            CancellationToken.None, timeout, whenMissing: "scripts/swarm.sh deploys FooBar to Docker Swarm (issue 12)");

    // Ports that no socket holds (the kernel's choice) and no container publishes: here a published port is a NAT rule, not a listener.
    private static async Task<(int Site, int Https, int Dns, int Dashboard)> FreePortsAsync()
    {
        var published = PublishedPort().Matches(await DockerEngine.RunAsync("ps", "--format", "{{.Ports}}"))
            .Select(match => int.Parse(match.Groups[1].Value)).ToHashSet();
        var held = new List<TcpListener>();
        try
        {
            var free = new List<int>();
            for (var attempt = 0; free.Count < 4 && attempt < 100; attempt++)
            {
                // Held until all are chosen, so the kernel does not offer the same port twice.
                var listener = new TcpListener(IPAddress.Any, 0);
                listener.Start();
                held.Add(listener);
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (!published.Contains(port))
                {
                    free.Add(port);
                }
            }
            return free.Count == 4 ? (free[0], free[1], free[2], free[3]) : throw new InvalidOperationException("No four free ports were found in 100 attempts.");
        }
        finally
        {
            held.ForEach(listener => listener.Stop());
        }
    }

    [GeneratedRegex(@":(\d+)->")]
    private static partial Regex PublishedPort();
}
