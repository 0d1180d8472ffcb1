using System.Net;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>The app's readiness follows MySQL; it stops MySQL, so it runs on the outage stack.</summary>
[Collection(OutageCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class ReadinessTests(OutageStackFixture stack)
{
    [Fact]
    public async Task Health_reports_MySQL_down_while_it_is_stopped_and_healthy_once_it_is_back()
    {
        using var web = stack.CreateWebClient();
        Assert.Equal((HttpStatusCode.OK, "Healthy"), await web.WaitForStatusAsync("/health", HttpStatusCode.OK, TimeSpan.FromMinutes(1)));

        await stack.App.ExecuteCommandAsync("mysql", KnownResourceCommands.StopCommand);
        try
        {
            // Not ready without its database, yet alive: an orchestrator must not restart it for that.
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"),
                await web.WaitForStatusAsync("/health", HttpStatusCode.ServiceUnavailable, TimeSpan.FromMinutes(1)));
            using var alive = await web.GetAsync("/alive");
            Assert.Equal((HttpStatusCode.OK, "Healthy"), (alive.StatusCode, await alive.Content.ReadAsStringAsync()));
        }
        finally
        {
            await stack.App.ExecuteCommandAsync("mysql", KnownResourceCommands.StartCommand);
        }

        Assert.Equal((HttpStatusCode.OK, "Healthy"), await web.WaitForStatusAsync("/health", HttpStatusCode.OK, TimeSpan.FromMinutes(3)));
    }
}
