using System.Text;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// Starts the real stack from FooBar.AppHost (nginx, web and MySQL in their containers), waits until every
/// resource is healthy, and tears it all down at the end. The site runs as visitors get it: in Production.
/// </summary>
public class StackFixture : IAsyncLifetime, ISite
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(5);

    private DistributedApplication? _app;
    private IReadOnlyList<string> _dataVolumes = [];

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The stack has not started.");

    /// <summary>nginx's public HTTPS endpoint: the one a visitor uses.</summary>
    public Uri SiteAddress { get; private set; } = null!;

    /// <summary>nginx's plain HTTP endpoint, which answers with a 301 to <see cref="SiteAddress"/> (its health check excepted).</summary>
    public Uri SiteHttpAddress { get; private set; } = null!;

    /// <summary>The application servers' resource names: web, or web-1 … web-N in the redundant mode.</summary>
    public IReadOnlyList<string> WebInstances { get; private set; } = [];

    /// <summary>The (first) application server's own endpoint, behind nginx.</summary>
    public Uri WebAddress { get; private set; } = null!;

    /// <summary>The stack's MySQL, straight to its container: rows to set up and check.</summary>
    public TestDatabase Database { get; private set; } = null!;

    /// <summary>What the dashboard received: spans and logs from nginx, web and MySqlConnector.</summary>
    public DashboardTelemetry Telemetry { get; private set; } = null!;

    // The dashboard's telemetry API takes this run's own key, never a developer's stored one.
    private readonly string _dashboardApiKey = Guid.NewGuid().ToString("N");
    private HttpClient? _dashboardClient;

    public async Task InitializeAsync()
    {
        await DockerEngine.RequireAsync();

        using var startup = new CancellationTokenSource(StartupTimeout);
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FooBar_AppHost>(
            args: [$"--AppHost:DashboardApiKey={_dashboardApiKey}", .. AppHostArgs],
            // The dashboard runs as it does for a developer and receives the app's telemetry. Without it
            // the app exports to an address nobody listens on, and stopping it (a restart) times out.
            configureBuilder: (options, _) => options.DisableDashboard = false,
            startup.Token);

        appHost.ConfigureForTests();
        _dataVolumes = appHost.UseThrowawayMySqlData(DataVolumeName);
        foreach (var web in appHost.Resources.OfType<ProjectResource>().ToList())
        {
            var instance = appHost.CreateResourceBuilder(web).WithEnvironment("ASPNETCORE_ENVIRONMENT", "Production");
            foreach (var (name, value) in WebEnvironment)
            {
                instance.WithEnvironment(name, value);
            }
        }

        _app = await appHost.BuildAsync(startup.Token);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await _app.StartAsync(startup.Token);
            // Every resource of the model that starts with the stack, whatever the AppHost's arguments made of it
            // (web, or web-1 … web-N); not those started on demand, such as a project's hidden rebuilder.
            foreach (var resource in _app.Services.GetRequiredService<DistributedApplicationModel>().Resources
                .Where(r => !r.Annotations.OfType<ExplicitStartupAnnotation>().Any()))
            {
                await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource.Name, startup.Token);
            }
            StartupTime = clock.Elapsed;
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"The stack did not become healthy within {StartupTimeout}: {ex.Message}\n{await RecentLogsAsync()}", ex);
        }

        SiteAddress = Loopback(_app.GetEndpoint(SiteResource, "https"));
        SiteHttpAddress = Loopback(_app.GetEndpoint(SiteResource, "http"));
        WebInstances = _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>().Select(r => r.Name).ToList();
        WebAddress = Loopback(_app.GetEndpoint(WebInstances[0], "http"));
        _dashboardClient = new HttpClient { BaseAddress = Loopback(_app.GetEndpoint("aspire-dashboard", "http")), Timeout = TimeSpan.FromSeconds(30) };
        _dashboardClient.DefaultRequestHeaders.Add("X-API-Key", _dashboardApiKey);
        Telemetry = new DashboardTelemetry(_dashboardClient);
        Database = new TestDatabase(_app);
    }

    /// <summary>The resource whose <c>https</c> and <c>http</c> endpoints are the site: nginx, or a front door (all share them).</summary>
    protected virtual string SiteResource => "nginx";

    /// <summary>How long the stack took from its start until every resource was healthy.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Environment for every app instance beside the AppHost's own, such as a test's tiny admission limits.</summary>
    protected virtual IReadOnlyDictionary<string, string> WebEnvironment { get; } = new Dictionary<string, string>();

    /// <summary>Arguments for the AppHost, such as its profile.</summary>
    protected virtual string[] AppHostArgs => [];

    /// <summary>
    /// A volume of this fixture's own for MySQL's data (the name the volumes of a cluster's nodes start with), removed at
    /// the end; null for none, in which case the data lives only as long as the container.
    /// </summary>
    protected virtual string? DataVolumeName => null;

    public virtual async Task DisposeAsync()
    {
        _dashboardClient?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        foreach (var volume in _dataVolumes)
        {
            await DockerEngine.RemoveVolumeWhenFreeAsync(volume);
        }
    }

    /// <inheritdoc />
    public HttpClient CreateSiteClient(string host = "www.foobar.com") => SiteClient.Create(SiteAddress, host);

    public HttpClient CreateWebClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        BaseAddress = WebAddress,
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>The last lines each resource wrote, to explain a stack that did not start.</summary>
    private async Task<string> RecentLogsAsync(int linesPerResource = 30)
    {
        var report = new StringBuilder();
        foreach (var resource in App.Services.GetRequiredService<DistributedApplicationModel>().Resources)
        {
            var reading = App.LogLinesAsync(resource.Name);
            var lines = await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(5))) == reading
                ? await reading
                : ["(its log could not be read in time)"];
            report.AppendLine($"--- {resource.Name} (last {linesPerResource} lines) ---");
            foreach (var line in lines.TakeLast(linesPerResource))
            {
                report.AppendLine(line);
            }
        }
        return report.ToString();
    }

    // Test traffic goes to 127.0.0.1 only, never to whatever "localhost" might resolve to.
    private static Uri Loopback(Uri endpoint) => new UriBuilder(endpoint) { Host = "127.0.0.1" }.Uri;
}

/// <summary>The stack most tests share. Its resources stay up: tests that stop them use <see cref="OutageCollection"/>.</summary>
[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<StackFixture>
{
    public const string Name = "stack";
}

/// <summary>
/// A stack of its own for tests that stop MySQL or the app, so the shared stack never sees an outage.
/// Its MySQL keeps its data in a volume, as the AppHost's does, so a stopped server comes back with it.
/// It runs the production profile, tracing half the requests, so the sampling tests have both kinds.
/// </summary>
public sealed class OutageStackFixture : StackFixture
{
    public const double TraceSampleRatio = 0.5;

    protected override string[] AppHostArgs { get; } =
        ["--FooBar:Profile=Production", $"--FooBar:TraceSampleRatio={TraceSampleRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)}"];

    protected override string? DataVolumeName { get; } = $"foobar-tests-{Guid.NewGuid():N}-mysql-data";
}

[CollectionDefinition(Name)]
public sealed class OutageCollection : ICollectionFixture<OutageStackFixture>
{
    public const string Name = "outage";
}

/// <summary>The redundant mode: three instances of the app behind nginx, on a stack of their own because tests stop them.</summary>
public sealed class RedundantStackFixture : StackFixture
{
    protected override string[] AppHostArgs { get; } = ["--FooBar:WebInstances=3"];
}

[CollectionDefinition(Name)]
public sealed class RedundantCollection : ICollectionFixture<RedundantStackFixture>
{
    public const string Name = "redundant";
}

/// <summary>
/// High availability (FooBar:HighAvailability): two front doors, nginx-1 and nginx-2, on one address, three instances
/// of the app and MySQL's cluster (its nodes without volumes); on a stack of its own, because its tests stop and kill the doors.
/// </summary>
public sealed class HighAvailabilityStackFixture : StackFixture
{
    protected override string[] AppHostArgs { get; } = ["--FooBar:HighAvailability=true"];

    protected override string SiteResource => "nginx-1";
}

[CollectionDefinition(Name)]
public sealed class HighAvailabilityCollection : ICollectionFixture<HighAvailabilityStackFixture>
{
    public const string Name = "high availability";
}

/// <summary>
/// High availability's database tier (FooBar:HighAvailability): MySQL as a Galera cluster of three nodes, mysql-1 … mysql-3,
/// each in a volume of this fixture's own, and three instances of the app; on a stack of its own, because its tests stop
/// and kill the nodes. It starts after the Swarm stack's tests have left the swarm (Parallelism.cs): a container that
/// DCP connects to a network made before that leave reaches none of its peers.
/// </summary>
public sealed class DatabaseClusterStackFixture : StackFixture
{
    /// <summary>Where the cluster's Back up command writes (FooBar:Backups:Folder): this fixture's own, removed with it.</summary>
    public DirectoryInfo BackupFolder { get; } = Directory.CreateTempSubdirectory("foobar-tests-backups-");

    protected override string[] AppHostArgs =>
        ["--FooBar:HighAvailability=true", "--FooBar:Profile=Production", $"--FooBar:Backups:Folder={BackupFolder.FullName}"];

    protected override string? DataVolumeName { get; } = $"foobar-tests-{Guid.NewGuid():N}";

    protected override string SiteResource => "nginx-1";

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        BackupFolder.Delete(recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class DatabaseClusterCollection : ICollectionFixture<DatabaseClusterStackFixture>
{
    public const string Name = "database cluster";
}

/// <summary>
/// Two app instances with tiny overload limits, for <see cref="OverloadTests"/>: each instance runs one page view at a
/// time with one waiting (Admission:*), and nginx serves each client 5 requests a second with a burst of 5.
/// </summary>
public sealed class OverloadStackFixture : StackFixture
{
    protected override string[] AppHostArgs { get; } =
        ["--FooBar:WebInstances=2", "--FooBar:Nginx:ClientRate=5", "--FooBar:Nginx:ClientBurst=5"];

    protected override IReadOnlyDictionary<string, string> WebEnvironment { get; } =
        new Dictionary<string, string> { ["Admission__ConcurrencyLimit"] = "1", ["Admission__QueueLimit"] = "1" };
}

[CollectionDefinition(Name)]
public sealed class OverloadCollection : ICollectionFixture<OverloadStackFixture>
{
    public const string Name = "overload";
}
