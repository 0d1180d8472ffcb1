using System.Text;
using MySqlConnector;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// Starts the real stack from FooBar.AppHost once for the whole run (nginx, web and MySQL in their
/// containers), waits until every resource is healthy, and tears it all down at the end.
/// </summary>
public sealed class StackFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(5);

    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The stack has not started.");

    /// <summary>nginx's public endpoint: the only one a visitor uses.</summary>
    public Uri SiteAddress { get; private set; } = null!;

    /// <summary>The application server's own endpoint, behind nginx.</summary>
    public Uri WebAddress { get; private set; } = null!;

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
            args: [$"--AppHost:DashboardApiKey={_dashboardApiKey}"],
            // The dashboard runs as it does for a developer and receives the app's telemetry. Without it
            // the app exports to an address nobody listens on, and stopping it (a restart) times out.
            configureBuilder: (options, _) => options.DisableDashboard = false,
            startup.Token);

        appHost.ConfigureForTests();
        UseThrowawayDatabase(appHost);

        _app = await appHost.BuildAsync(startup.Token);
        try
        {
            await _app.StartAsync(startup.Token);
            foreach (var resource in new[] { "mysql", "foobardb", "web", "nginx" })
            {
                await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource, startup.Token);
            }
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"The stack did not become healthy within {StartupTimeout}: {ex.Message}\n{await RecentLogsAsync()}", ex);
        }

        SiteAddress = Loopback(_app.GetEndpoint("nginx", "http"));
        WebAddress = Loopback(_app.GetEndpoint("web", "http"));
        _dashboardClient = new HttpClient { BaseAddress = Loopback(_app.GetEndpoint("aspire-dashboard", "http")), Timeout = TimeSpan.FromSeconds(30) };
        _dashboardClient.DefaultRequestHeaders.Add("X-API-Key", _dashboardApiKey);
        Telemetry = new DashboardTelemetry(_dashboardClient);
    }

    public async Task DisposeAsync()
    {
        _dashboardClient?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>A client for nginx that sends <paramref name="host"/> as the Host header and never follows redirects.</summary>
    public HttpClient CreateSiteClient(string host = "www.foobar.com") => new(new HostHeaderHandler(host))
    {
        BaseAddress = SiteAddress,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public HttpClient CreateWebClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        BaseAddress = WebAddress,
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>An open connection to the app's database, as root, straight to the MySQL container.</summary>
    public async Task<MySqlConnection> OpenDatabaseAsync()
    {
        var connectionString = await App.GetLoopbackMySqlConnectionStringAsync("foobardb");
        var connection = new MySqlConnection(connectionString.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The last lines each resource wrote, to explain a stack that did not start.</summary>
    private async Task<string> RecentLogsAsync(int linesPerResource = 30)
    {
        var report = new StringBuilder();
        var logs = App.Services.GetRequiredService<ResourceLoggerService>();
        foreach (var resource in App.Services.GetRequiredService<DistributedApplicationModel>().Resources)
        {
            var reading = ReadAllAsync(logs, resource);
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

        static async Task<List<string>> ReadAllAsync(ResourceLoggerService logs, IResource resource)
        {
            var lines = new List<string>();
            await foreach (var batch in logs.GetAllAsync(resource))
            {
                lines.AddRange(batch.Select(line => line.Content));
            }
            return lines;
        }
    }

    // The AppHost keeps MySQL's data in a named volume, shared with a developer's own runs; the tests
    // must neither see nor change that data, nor leave a volume behind, so their MySQL starts empty.
    internal static void UseThrowawayDatabase(IDistributedApplicationTestingBuilder appHost)
    {
        var mysql = appHost.Resources.OfType<MySqlServerResource>().Single();
        foreach (var volume in mysql.Annotations.OfType<ContainerMountAnnotation>().Where(m => m.Type == ContainerMountType.Volume).ToList())
        {
            mysql.Annotations.Remove(volume);
        }
    }

    // Test traffic goes to 127.0.0.1 only, never to whatever "localhost" might resolve to.
    private static Uri Loopback(Uri endpoint) => new UriBuilder(endpoint) { Host = "127.0.0.1" }.Uri;

    private sealed class HostHeaderHandler(string host) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Host = host;
            return base.SendAsync(request, cancellationToken);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<StackFixture>
{
    public const string Name = "stack";
}
