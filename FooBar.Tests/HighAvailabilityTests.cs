using System.Diagnostics;
using Aspire.Hosting;
using FooBar.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// High availability's front doors (FooBar:HighAvailability), on a stack of their own: nginx-1 and nginx-2 share the
/// site's address, the kernel spreads connections over them, and one stopped or killed under load costs the visitors
/// nothing (stopped) or only what it had in flight (killed), while new connections go to the other at once.
/// </summary>
[Collection(HighAvailabilityCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class HighAvailabilityTests(HighAvailabilityStackFixture stack, ITestOutputHelper output)
{
    private static readonly string[] Doors = ["nginx-1", "nginx-2"];

    [Fact]
    public async Task Both_front_doors_answer_on_the_one_address_and_the_journey_page_and_the_spans_name_each()
    {
        await BothDoorsRunningAsync();
        using var site = stack.CreateSiteClient();
        // A new connection for each view: the kernel picks a door per connection.
        site.DefaultRequestHeaders.ConnectionClose = true;
        var answeredBy = new List<string>();
        for (var view = 0; view < 40; view++)
        {
            var page = await site.GetHtmlAsync("/journey");
            answeredBy.Add(page.QuerySelector(".journey-front-door")?.TextContent.Trim() ?? "(none)");
        }

        output.WriteLine(string.Join(", ", answeredBy.CountBy(door => door).Select(pair => $"{pair.Key}: {pair.Value}")));
        Assert.Equal(Doors, answeredBy.Distinct().Order());
        foreach (var door in Doors)
        {
            var spans = await stack.Telemetry.WaitForAsync(() => stack.Telemetry.GetSpansAsync(resource: door), s => s.Count > 0);
            Assert.NotEmpty(spans);
        }
    }

    [Fact]
    public async Task A_front_door_stopped_under_load_fails_no_request_and_stores_every_post()
    {
        await BothDoorsRunningAsync();
        await using var load = SteadyLoad.Start(stack);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stack.App.StopForAsync("nginx-1", TimeSpan.FromSeconds(5));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var requests = await load.StopAsync();

        SteadyLoad.Report(requests, output.WriteLine);
        load.AssertAtLeast(gets: 50, posts: 5);
        Assert.All(requests, request => Assert.True(request.Succeeded, $"failed: {request}"));
        Assert.Equal(load.AcknowledgedPosts.Order(), await stack.Database.PostIdsTitledAsync(load.PostMarker));
    }

    [Fact]
    public async Task A_front_door_killed_under_load_loses_no_page_view_a_resent_get_cannot_fix_and_new_connections_are_answered_within_a_second()
    {
        await BothDoorsRunningAsync();
        var container = ((NginxFrontDoorResource)stack.App.Resource("nginx-2")).ContainerName;
        await using var load = SteadyLoad.Start(stack);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var killedAt = Stopwatch.StartNew();
        await DockerEngine.KillContainerAsync(container);

        // New connections from the moment of the kill: each must be answered, and within a second.
        using var probe = stack.CreateSiteClient();
        probe.DefaultRequestHeaders.ConnectionClose = true;
        probe.Timeout = TimeSpan.FromSeconds(5);
        var slowest = TimeSpan.Zero;
        var probes = 0;
        while (killedAt.Elapsed < TimeSpan.FromSeconds(3))
        {
            var clock = Stopwatch.StartNew();
            using var response = await probe.GetAsync("/css/site.css");
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, clock.Elapsed.Ticks));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            probes++;
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
        // The kill reached the door: its resource has exited (nothing restarts a door yet).
        await stack.App.ResourceNotifications.WaitForResourceAsync("nginx-2", e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text))
            .WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var requests = await load.StopAsync();

        output.WriteLine($"{probes} new connections after the kill, the slowest answered in {slowest.TotalMilliseconds:0} ms");
        SteadyLoad.Report(requests, output.WriteLine);
        Assert.True(probes >= 10, $"only {probes} new connections were tried");
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"a new connection took {slowest.TotalMilliseconds:0} ms to be answered");
        // A GET whose connection the kill reset is sent again on a new one, as browsers do: none fails.
        load.AssertAtLeast(gets: 50, posts: 5);
        var gets = requests.Where(r => r.Method == "GET").ToList();
        Assert.All(gets, get => Assert.True(get.Succeeded, $"failed: {get}"));
        // A post nginx-2 had taken may be lost with it (its visitor saw the failure); every acknowledged one is stored.
        Assert.Equal(load.AcknowledgedPosts.Order(), await stack.Database.PostIdsTitledAsync(load.PostMarker));
    }

    // Each test begins with both doors answering, whatever the one before it stopped or killed.
    private async Task BothDoorsRunningAsync()
    {
        foreach (var door in Doors)
        {
            if (stack.App.ResourceNotifications.TryGetCurrentState(door, out var state)
                && KnownResourceStates.TerminalStates.Contains(state.Snapshot.State?.Text))
            {
                await stack.App.ExecuteCommandAsync(door, KnownResourceCommands.StartCommand);
            }
            await stack.App.ResourceNotifications.WaitForResourceHealthyAsync(door).WaitAsync(TimeSpan.FromMinutes(1));
        }
    }
}
