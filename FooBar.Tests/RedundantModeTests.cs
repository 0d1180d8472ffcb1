using System.Diagnostics;
using Aspire.Hosting;
using FooBar.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// The redundant mode (FooBar:WebInstances = 3), on a stack of its own: nginx spreads requests over web-1 … web-3,
/// and an instance stopped, every instance restarted in turn, or nginx reloaded costs the visitors nothing; the group (web)
/// says Degraded while one is missing.
/// </summary>
[Collection(RedundantCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class RedundantModeTests(RedundantStackFixture stack, ITestOutputHelper output)
{
    [Fact]
    public async Task Nginx_spreads_page_views_over_every_instance_and_the_journey_page_names_the_one_that_answered()
    {
        using var site = stack.CreateSiteClient();
        var answeredBy = new HashSet<string>();
        for (var view = 0; view < 30; view++)
        {
            var page = await site.GetHtmlAsync("/journey");
            answeredBy.Add(page.QuerySelector(".journey-instance")?.TextContent.Trim() ?? "(none)");
        }

        Assert.Equal(["web-1", "web-2", "web-3"], stack.WebInstances);
        Assert.Equal(stack.WebInstances.ToHashSet(), answeredBy);
    }

    [Fact]
    public async Task One_instance_stopped_under_load_costs_no_page_view_and_makes_the_group_Degraded_naming_it_until_it_is_back()
    {
        await stack.App.HealthReportAsync("web", HealthStatus.Healthy);
        await using var load = SteadyLoad.Start(stack);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stack.App.ExecuteCommandAsync("web-2", KnownResourceCommands.StopCommand);
        string degraded;
        try
        {
            // Down for 5 s at least, and until the group says which instance is missing; the other two carry the load.
            var down = Task.Delay(TimeSpan.FromSeconds(5));
            degraded = await stack.App.HealthReportAsync("web", HealthStatus.Degraded);
            await down;
        }
        finally
        {
            await stack.App.ExecuteCommandAsync("web-2", KnownResourceCommands.StartCommand);
        }
        var healthy = await stack.App.HealthReportAsync("web", HealthStatus.Healthy);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var requests = await load.StopAsync();

        var gets = requests.Where(r => r.Method == "GET").ToList();
        SteadyLoad.Report(requests, output.WriteLine);
        load.AssertAtLeast(gets: 50, posts: 5);
        Assert.All(gets, get => Assert.True(get.Succeeded, $"failed: {get}"));
        Assert.StartsWith("2 of 3 instances healthy", degraded);
        Assert.Contains("web-2", degraded);
        Assert.Equal("3 of 3 instances healthy", healthy);
    }

    [Fact]
    public async Task One_instance_killed_under_load_costs_no_page_view_and_is_started_again() =>
        // Its supervisor starts it again after a second; nginx has skipped it meanwhile. A post that web-3 had received
        // when it was killed is not sent again (it may have been stored): its visitor gets nginx's 502 page saying so.
        await InstanceReplacedUnderLoadAsync("web-3", pid =>
        {
            Process.GetProcessById(pid).Kill();
            return Task.CompletedTask;
        });

    [Fact]
    public async Task One_instance_hung_under_load_costs_no_page_view_and_is_ended_and_started_again() =>
        // SIGSTOP, as a deadlock would leave it: alive, its socket accepting connections, answering nothing. Its liveness
        // probe ends it and its supervisor starts it again; nginx sends the GETs it had sent there to another instance.
        await InstanceReplacedUnderLoadAsync("web-2", pid => Signals.SendAsync("STOP", pid));

    [Fact]
    public async Task Rolling_restart_under_load_fails_no_request_and_stores_every_post()
    {
        var processes = stack.WebInstances.ToDictionary(name => name, stack.App.ProcessId);
        await using var load = SteadyLoad.Start(stack);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stack.App.ExecuteCommandAsync("nginx", NginxCommandExtensions.RollingRestartCommandName);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var requests = await load.StopAsync();

        SteadyLoad.Report(requests, output.WriteLine);
        load.AssertAtLeast(gets: 50, posts: 10);
        // Every instance runs a new process, and no visitor noticed.
        Assert.All(stack.WebInstances, name => Assert.NotEqual(processes[name], stack.App.ProcessId(name)));
        Assert.All(requests, request => Assert.True(request.Succeeded, $"failed: {request}"));
        load.AssertEveryAcknowledgedPostStored(await stack.Database.PostIdsTitledAsync(load.PostMarker));
    }

    [Fact]
    public async Task Nginx_reloaded_under_load_fails_no_request()
    {
        await using var load = SteadyLoad.Start(stack);
        for (var reload = 0; reload < 3; reload++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            await stack.App.ExecuteCommandAsync("nginx", NginxCommandExtensions.ReloadCommandName);
        }
        await Task.Delay(TimeSpan.FromSeconds(1));
        var requests = await load.StopAsync();

        SteadyLoad.Report(requests, output.WriteLine);
        load.AssertAtLeast(gets: 50, posts: 5);
        Assert.All(requests, request => Assert.True(request.Succeeded, $"failed: {request}"));
        load.AssertEveryAcknowledgedPostStored(await stack.Database.PostIdsTitledAsync(load.PostMarker));
    }

    // Under the steady load, does harm to one instance's process and waits until a new process of it is healthy:
    // no GET fails, and every post the site acknowledged is stored.
    private async Task InstanceReplacedUnderLoadAsync(string instance, Func<int, Task> harm)
    {
        var harmed = stack.App.ProcessId(instance);
        await using var load = SteadyLoad.Start(stack);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await harm(harmed);
        try
        {
            await stack.App.ResourceNotifications.WaitForResourceAsync(instance,
                e => e.Snapshot.HealthStatus == HealthStatus.Healthy && DistributedApplicationExtensions.ProcessId(e.Snapshot) is { } pid && pid != harmed)
                .WaitAsync(TimeSpan.FromMinutes(1));
        }
        finally
        {
            await Signals.ContinueIfAliveAsync(harmed);
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        var requests = await load.StopAsync();

        SteadyLoad.Report(requests, output.WriteLine);
        load.AssertAtLeast(gets: 50, posts: 5);
        var gets = requests.Where(r => r.Method == "GET").ToList();
        Assert.All(gets, get => Assert.True(get.Succeeded, $"failed: {get}"));
        load.AssertEveryAcknowledgedPostStored(await stack.Database.PostIdsTitledAsync(load.PostMarker));
    }
}
