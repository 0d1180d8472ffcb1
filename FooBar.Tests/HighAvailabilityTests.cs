using System.Diagnostics;
using Aspire.Hosting;
using FooBar.Hosting.Processes;
using FooBar.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// High availability's front doors (FooBar:HighAvailability), on a stack of their own: nginx-1 and nginx-2 share the
/// site's address, the kernel spreads connections over them, and one stopped or killed under load costs the visitors
/// nothing (stopped) or only what it had in flight (killed), while new connections go to the other at once; a killed
/// door is started again by the AppHost, and the doors restarted (a new recipe) or reloaded in turn cost nothing; the
/// doors' group (nginx) says Degraded while one is stopped.
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
        var schemes = new HashSet<string>();
        for (var view = 0; view < 40; view++)
        {
            var page = await site.GetHtmlAsync("/journey");
            answeredBy.Add(page.QuerySelector(".journey-front-door")?.TextContent.Trim() ?? "(none)");
            schemes.Add(page.QuerySelector(".journey-scheme")?.TextContent.Trim() ?? "(none)");
        }
        // Plain HTTP on the shared address: each door sends it to the shared HTTPS port.
        using var http = SiteClient.Create(stack.SiteHttpAddress, "www.foobar.com");
        using var redirect = await http.GetAsync("/journey?x=1");

        output.WriteLine(string.Join(", ", answeredBy.CountBy(door => door).Select(pair => $"{pair.Key}: {pair.Value}")));
        Assert.Equal(Doors, answeredBy.Distinct().Order());
        Assert.Equal(["https"], schemes);
        Assert.Equal(new Uri($"https://www.foobar.com:{stack.SiteAddress.Port}/journey?x=1"), redirect.Headers.Location);
        foreach (var door in Doors)
        {
            var spans = await stack.Telemetry.WaitForAsync(() => stack.Telemetry.GetSpansAsync(resource: door), s => s.Count > 0);
            Assert.NotEmpty(spans);
        }
    }

    [Fact]
    public async Task A_front_door_stopped_under_load_fails_no_request_stores_every_post_and_makes_the_doors_Degraded_until_it_is_back()
    {
        string? degraded = null, healthy = null;
        var requests = await UnderLoadAsync(async () =>
        {
            await stack.App.ExecuteCommandAsync("nginx-1", KnownResourceCommands.StopCommand);
            try
            {
                // Down for 5 s at least, and until the doors' group says which one is missing.
                var down = Task.Delay(TimeSpan.FromSeconds(5));
                degraded = await stack.App.HealthReportAsync("nginx", HealthStatus.Degraded);
                await down;
            }
            finally
            {
                await stack.App.ExecuteCommandAsync("nginx-1", KnownResourceCommands.StartCommand);
            }
            await stack.App.ResourceNotifications.WaitForResourceHealthyAsync("nginx-1").WaitAsync(TimeSpan.FromMinutes(2));
            healthy = await stack.App.HealthReportAsync("nginx", HealthStatus.Healthy);
        });

        Assert.All(requests, request => Assert.True(request.Succeeded, $"failed: {request}"));
        Assert.StartsWith("1 of 2 front doors healthy", degraded);
        Assert.Contains("nginx-1", degraded);
        Assert.Equal("2 of 2 front doors healthy", healthy);
    }

    [Fact]
    public async Task A_front_door_killed_under_load_loses_no_page_view_a_resent_get_cannot_fix_and_new_connections_wait_for_one_resent_SYN_at_most()
    {
        await BothDoorsRunningAsync();
        var container = ((NginxFrontDoorResource)stack.App.Resource("nginx-2")).ContainerName;
        var killedContainer = await ContainerIdAsync(container);
        await using var load = SteadyLoad.Start(stack);
        await Task.Delay(TimeSpan.FromSeconds(2));
        // Watched from before the kill: the door is started again within a second or two of its exit.
        var exited = stack.App.ResourceNotifications.WaitForResourceAsync("nginx-2", e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text));
        var killedAtTime = DateTime.UtcNow.AddSeconds(-1);
        var killedAt = Stopwatch.StartNew();
        await DockerEngine.KillContainerAsync(container);

        // New connections from the moment of the kill: each must be answered. A SYN the kernel hands to the listener as
        // the kill closes it is dropped and sent again after the initial retransmission timeout (1 s); a connection left
        // on a dead listener would wait 1 + 2 + 4 s, or fail.
        using var probe = stack.CreateSiteClient();
        probe.DefaultRequestHeaders.ConnectionClose = true;
        probe.Timeout = TimeSpan.FromSeconds(5);
        var slowest = TimeSpan.Zero;
        var probes = 0;
        // The first 3 s after the kill, and at least 10 connections however long a resent SYN held one (at most 10 s).
        while ((killedAt.Elapsed < TimeSpan.FromSeconds(3) || probes < 10) && killedAt.Elapsed < TimeSpan.FromSeconds(10))
        {
            var clock = Stopwatch.StartNew();
            using var response = await probe.GetAsync("/css/site.css");
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, clock.Elapsed.Ticks));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            probes++;
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
        // The kill reached the door: its resource has exited, and the AppHost starts it again, unasked, in a new container.
        await exited.WaitAsync(TimeSpan.FromSeconds(30));
        await stack.App.ResourceNotifications.WaitForResourceAsync("nginx-2",
            e => e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.StartTimeStamp >= killedAtTime).WaitAsync(TimeSpan.FromSeconds(30));
        await stack.App.ResourceNotifications.WaitForResourceHealthyAsync("nginx-2").WaitAsync(TimeSpan.FromMinutes(1));
        var restartedAfter = killedAt.Elapsed;
        var newContainer = await ContainerIdAsync(container);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var requests = await load.StopAsync();

        output.WriteLine($"{probes} new connections after the kill, the slowest answered in {slowest.TotalMilliseconds:0} ms");
        output.WriteLine($"nginx-2 was started again and healthy {restartedAfter.TotalSeconds:0.0} s after the kill");
        Assert.NotEqual(killedContainer, newContainer);
        SteadyLoad.Report(requests, output.WriteLine);
        Assert.True(probes >= 10, $"only {probes} new connections were tried");
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"a new connection took {slowest.TotalMilliseconds:0} ms to be answered");
        // A GET whose connection the kill reset is sent again on a new one, as browsers do: none fails.
        load.AssertAtLeast(gets: 50, posts: 5);
        var gets = requests.Where(r => r.Method == "GET").ToList();
        Assert.All(gets, get => Assert.True(get.Succeeded, $"failed: {get}"));
        // A post nginx-2 had taken may be lost with it, or stored unanswered (its visitor saw the failure); every
        // acknowledged one is stored.
        load.AssertEveryAcknowledgedPostStored(await stack.Database.PostIdsTitledAsync(load.PostMarker));
    }

    [Fact]
    public async Task The_front_doors_restarted_in_turn_under_load_run_a_changed_recipe_fail_no_request_and_store_every_post()
    {
        await BothDoorsRunningAsync();
        var doors = Doors.Select(name => (NginxFrontDoorResource)stack.App.Resource(name)).ToList();
        // Each door has its own image of the one recipe: the test points every door's at the changed copy.
        var images = doors.Select(d => d.Image!).ToList();
        var before = new List<string>();
        foreach (var door in doors)
        {
            before.Add(await ContainerIdAsync(door.ContainerName));
        }
        // A changed recipe without touching the repository's: a copy with one more file, which no layer copies.
        var recipe = Directory.CreateTempSubdirectory("foobar-nginx-recipe-");
        var original = images[0].Folder;
        CopyFolder(original, recipe.FullName);
        File.WriteAllText(Path.Combine(recipe.FullName, "revision.txt"), $"{Guid.NewGuid()}\n");
        images.ForEach(image => image.Folder = recipe.FullName);
        var changed = images[0].Name;
        try
        {
            var requests = await UnderLoadAsync(async () =>
            {
                var clock = Stopwatch.StartNew();
                await stack.App.ExecuteCommandAsync("nginx-1", NginxInstancesExtensions.RollingRestartDoorsCommandName);
                output.WriteLine($"rolling restart of the doors took {clock.Elapsed.TotalSeconds:0.0} s");
            });

            Assert.All(requests, request => Assert.True(request.Succeeded, $"failed: {request}"));
            // Each door now runs a new container of the changed recipe's image.
            foreach (var (door, old) in doors.Zip(before))
            {
                Assert.NotEqual(old, await ContainerIdAsync(door.ContainerName));
                Assert.Equal(changed, (await DockerEngine.RunAsync("inspect", "--format", "{{.Config.Image}}", door.ContainerName)).Trim());
                await stack.App.ResourceNotifications.WaitForResourceHealthyAsync(door.Name).WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
        finally
        {
            // The doors' next start reads the repository's recipe again; the copy's tag goes (its image is the original's).
            images.ForEach(image => image.Folder = original);
            recipe.Delete(recursive: true);
            await DockerCli.RunAsync(["image", "rm", changed], CancellationToken.None);
        }
    }

    [Fact]
    public async Task Both_front_doors_reloaded_under_load_fail_no_request()
    {
        var requests = await UnderLoadAsync(async () =>
        {
            foreach (var door in Doors)
            {
                var container = ((NginxFrontDoorResource)stack.App.Resource(door)).ContainerName;
                var before = await WorkersAsync(container);
                await stack.App.ExecuteCommandAsync(door, NginxCommandExtensions.ReloadCommandName);
                // The next door reloads once this one's reload is over: new workers only, the old ones done with their requests.
                var after = await Poll.UntilAsync(() => WorkersAsync(container), workers => workers.Count > 0 && !workers.Overlaps(before),
                    TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
                Assert.True(after.Count > 0 && !after.Overlaps(before), $"{door}'s workers after its reload: {string.Join(", ", after)} (before: {string.Join(", ", before)})");
            }
        }, gets: 30, posts: 3);

        Assert.All(requests, request => Assert.True(request.Succeeded, $"failed: {request}"));
    }

    [Fact]
    public async Task An_app_instance_killed_and_another_hung_under_load_lose_no_page_view_and_are_both_replaced()
    {
        var (killed, hung) = (stack.App.ProcessId("web-1"), stack.App.ProcessId("web-2"));
        var requests = await UnderLoadAsync(async () =>
        {
            Process.GetProcessById(killed).Kill();
            await Signals.SendAsync("STOP", hung);
            try
            {
                // Supervision starts the killed one again; the hung one's liveness probe ends it first.
                foreach (var (instance, pid) in new[] { ("web-1", killed), ("web-2", hung) })
                {
                    await stack.App.ResourceNotifications.WaitForResourceAsync(instance, e => e.Snapshot.HealthStatus == HealthStatus.Healthy
                        && DistributedApplicationExtensions.ProcessId(e.Snapshot) is { } now && now != pid).WaitAsync(TimeSpan.FromMinutes(1));
                }
            }
            finally
            {
                await Signals.ContinueIfAliveAsync(hung);
            }
        });

        Assert.All(requests.Where(r => r.Method == "GET"), get => Assert.True(get.Succeeded, $"failed: {get}"));
    }

    // The steady load around what a test does, every request recorded; at least `gets` GETs and `posts` acknowledged
    // posts, and every acknowledged post stored, or the test fails. Each test begins with both doors answering.
    private async Task<IReadOnlyList<SteadyLoad.Request>> UnderLoadAsync(Func<Task> fault, int gets = 50, int posts = 5)
    {
        await BothDoorsRunningAsync();
        await using var load = SteadyLoad.Start(stack);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await fault();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var requests = await load.StopAsync();

        SteadyLoad.Report(requests, output.WriteLine);
        load.AssertAtLeast(gets, posts);
        load.AssertEveryAcknowledgedPostStored(await stack.Database.PostIdsTitledAsync(load.PostMarker));
        return requests;
    }

    // The process ids of an nginx container's workers, those shutting down after a reload included.
    private static async Task<HashSet<string>> WorkersAsync(string container) =>
        (await DockerEngine.RunAsync("exec", container, "sh", "-c",
            "for p in /proc/[0-9]*; do grep -qs 'nginx: worker process' \"$p/cmdline\" && echo \"${p#/proc/}\"; done; true"))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();

    private static async Task<string> ContainerIdAsync(string container) =>
        (await DockerEngine.RunAsync("inspect", "--format", "{{.Id}}", container)).Trim();

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
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
