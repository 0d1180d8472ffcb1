using System.Net;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>The app's readiness follows MySQL; it stops MySQL, so it runs on the outage stack.</summary>
[Collection(OutageCollection.Name)]
public sealed class ReadinessTests(OutageStackFixture stack)
{
    [Fact]
    public async Task Health_reports_MySQL_down_while_it_is_stopped_and_healthy_once_it_is_back()
    {
        using var web = stack.CreateWebClient();
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await WaitForHealthAsync(web, HttpStatusCode.OK, TimeSpan.FromMinutes(1)));

        await stack.ExecuteCommandAsync("mysql", KnownResourceCommands.StopCommand);
        try
        {
            // Not ready without its database, yet alive: an orchestrator must not restart it for that.
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"),
                await WaitForHealthAsync(web, HttpStatusCode.ServiceUnavailable, TimeSpan.FromMinutes(1)));
            Assert.Equal((HttpStatusCode.OK, "Healthy"), await HealthAsync(web, "/alive"));
        }
        finally
        {
            await stack.ExecuteCommandAsync("mysql", KnownResourceCommands.StartCommand);
        }

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
