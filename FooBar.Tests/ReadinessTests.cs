using System.Net;
using FooBar.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace FooBar.Tests;

/// <summary>
/// The app's readiness follows MySQL. This test stops MySQL, so it runs a stack of its own (MySQL and
/// web, without nginx, which /health does not pass through) instead of the shared one.
/// </summary>
public sealed class ReadinessTests
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Health_reports_MySQL_down_while_it_is_stopped_and_healthy_once_it_is_back()
    {
        await DockerEngine.RequireAsync();
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FooBar_AppHost>();
        appHost.ConfigureForTests();
        // Stopping MySQL removes its container while its log is being streamed, which DCP reports as errors.
        appHost.Services.AddLogging(logging => logging.AddFilter("Aspire.Hosting.Dcp.DcpExecutor", LogLevel.None));
        StackFixture.UseThrowawayDatabase(appHost);
        appHost.Resources.Remove(appHost.Resources.OfType<NginxResource>().Single());

        await using var app = await appHost.BuildAsync();
        using var startup = new CancellationTokenSource(StartupTimeout);
        await app.StartAsync(startup.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("web", startup.Token);
        using var web = new HttpClient
        {
            BaseAddress = new UriBuilder(app.GetEndpoint("web", "http")) { Host = "127.0.0.1" }.Uri,
            Timeout = TimeSpan.FromSeconds(30),
        };
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await HealthAsync(web, "/health"));

        var stopped = await app.ResourceCommands.ExecuteCommandAsync("mysql", KnownResourceCommands.StopCommand);
        Assert.True(stopped.Success, stopped.Message);

        // Not ready without its database, yet alive: an orchestrator must not restart it for that.
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"),
            await WaitForHealthAsync(web, HttpStatusCode.ServiceUnavailable, TimeSpan.FromMinutes(1)));
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await HealthAsync(web, "/alive"));

        var started = await app.ResourceCommands.ExecuteCommandAsync("mysql", KnownResourceCommands.StartCommand);
        Assert.True(started.Success, started.Message);

        Assert.Equal((HttpStatusCode.OK, "Healthy"), await WaitForHealthAsync(web, HttpStatusCode.OK, TimeSpan.FromMinutes(3)));
    }

    private static async Task<(HttpStatusCode, string)> HealthAsync(HttpClient web, string path)
    {
        using var response = await web.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<(HttpStatusCode, string)> WaitForHealthAsync(HttpClient web, HttpStatusCode wanted, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var health = await HealthAsync(web, "/health");
            if (health.Item1 == wanted || deadline.IsCancellationRequested)
            {
                return health;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }
}
