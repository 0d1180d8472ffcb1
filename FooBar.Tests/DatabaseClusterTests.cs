using FooBar.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MySqlConnector;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// High availability's database tier on a stack of its own: MySQL as a Galera cluster of three nodes, each published on
/// its own loopback address at one shared port, which the app is given all of. The node the app's connections are on,
/// stopped or killed under a steady load, costs the visitors nothing: no failed page, no failed post, every acknowledged
/// post on every node once.
/// </summary>
[Collection(DatabaseClusterCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class DatabaseClusterTests(DatabaseClusterStackFixture stack, ITestOutputHelper output)
{
    private static readonly string[] Nodes = ["mysql-1", "mysql-2", "mysql-3"];
    private static readonly TimeSpan RejoinTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Three_synced_nodes_each_publish_one_port_on_their_own_address_and_the_app_migrated_the_schema_once()
    {
        output.WriteLine($"the stack was healthy (every node synced, every instance up) {stack.StartupTime.TotalSeconds:0} s after it started");
        var published = new List<string>();
        foreach (var node in Nodes)
        {
            published.Add((await DockerEngine.RunAsync("port", stack.App.ContainerName(node), "3306/tcp")).Trim());
            await using var db = await OpenNodeAsync(node);
            Assert.Equal("Synced", await StatusAsync(db, "wsrep_local_state_comment"));
            Assert.Equal("3", await StatusAsync(db, "wsrep_cluster_size"));
        }
        output.WriteLine($"published: {string.Join(", ", published)}");

        // Docker publishes node i on 127.0.0.(10 + i) only, all at the same port: one Port for MySqlConnector's three hosts.
        var port = stack.App.GetEndpoint("mysql-1", "tcp").Port;
        Assert.Equal(Nodes.Select((_, i) => $"127.0.0.{11 + i}:{port}"), published);
        // The dashboard's view of the cluster, refreshed as the nodes' health changes.
        var cluster = await stack.App.ResourceNotifications.WaitForResourceAsync("mysql",
            e => Property(e.Snapshot, "cluster.synced") == "3 of 3").WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal("3", Property(cluster.Snapshot, "cluster.size"));
        Assert.Equal("mysql-1 Synced, mysql-2 Synced, mysql-3 Synced", Property(cluster.Snapshot, "cluster.nodes"));
        Assert.Equal(HealthStatus.Healthy, cluster.Snapshot.HealthStatus);
        // Each node's figures reach the dashboard under its own name, Galera's among them: three nodes, this one synced (4).
        foreach (var node in Nodes)
        {
            // An export read before the dashboard's "3 of 3" may still show a node as a state transfer's donor (2).
            var figures = await ExportedMetrics.UntilAsync(stack.App, $"{node}-exporter",
                f => f.GetValueOrDefault("mysql.up") == 1 && f.GetValueOrDefault("mysql.galera.local_state") == 4);
            output.WriteLine($"{node}'s last export: {string.Join(' ', figures.Select(f => $"{f.Key}={f.Value}"))}");
            Assert.Equal((3, 4), (figures["mysql.galera.cluster_size"], figures["mysql.galera.local_state"]));
            Assert.InRange(figures["mysql.galera.flow_control.paused"], 0, 1);
        }

        // Three instances started together and migrated through one node under GET_LOCK: each script applied once, none failed.
        await using var root = await stack.Database.OpenAsync();
        var versions = await root.RowsAsync("SELECT version FROM schema_migrations ORDER BY version", row => row.GetString(0));
        Assert.Equal(["0001_create_posts", "0002_create_fortune", "0003_create_data_protection_keys", "0004_add_post_key"], versions);
        foreach (var web in stack.WebInstances)
        {
            Assert.DoesNotContain(await stack.App.LogLinesAsync(web), line => line.Contains("Migration") && line.Contains("failed"));
        }
    }

    [Fact]
    public async Task The_apps_node_stopped_for_ten_seconds_under_load_costs_no_request_and_loses_or_doubles_no_post()
    {
        var node = await NodeInUseAsync();
        var movedTo = new Dictionary<string, long>();
        string? degraded = null, healthy = null;
        var (requests, load) = await UnderLoadAsync(async () =>
        {
            var stoppedAt = System.Diagnostics.Stopwatch.StartNew();
            await stack.App.ExecuteCommandAsync(node, KnownResourceCommands.StopCommand);
            movedTo = await StayDownAsync(node, TimeSpan.FromSeconds(10));
            // Two of three still synced: the cluster has lost its redundancy, not its quorum, and says so.
            degraded = await ClusterHealthAsync(HealthStatus.Degraded);
            output.WriteLine($"the cluster said Degraded {stoppedAt.Elapsed.TotalSeconds:0.0} s after the stop: {degraded}");
            await stack.App.ExecuteCommandAsync(node, KnownResourceCommands.StartCommand);
            await WaitUntilSyncedAsync(node);
            var syncedAt = System.Diagnostics.Stopwatch.StartNew();
            healthy = await ClusterHealthAsync(HealthStatus.Healthy);
            output.WriteLine($"the cluster said Healthy {syncedAt.Elapsed.TotalSeconds:0.0} s after the node was synced: {healthy}");
        });

        AssertMovedOff(node, movedTo);
        await AssertNothingLostAsync(requests, load);
        Assert.Contains("2 of 3 nodes synced", degraded);
        Assert.Contains("3 of 3 nodes synced", healthy);
    }

    [Fact]
    public async Task The_apps_node_killed_under_load_costs_no_request_and_rejoins_synced_when_started()
    {
        var node = await NodeInUseAsync();
        var movedTo = new Dictionary<string, long>();
        var (requests, load) = await UnderLoadAsync(async () =>
        {
            // SIGKILL, as a crash or the out-of-memory killer would end it: no clean leave from the cluster.
            await DockerEngine.KillContainerAsync(stack.App.ContainerName(node));
            await stack.App.ResourceNotifications.WaitForResourceAsync(node, e => e.Snapshot.State?.Text == KnownResourceStates.Exited)
                .WaitAsync(TimeSpan.FromSeconds(30));
            movedTo = await StayDownAsync(node, TimeSpan.FromSeconds(5));
            await stack.App.ExecuteCommandAsync(node, KnownResourceCommands.StartCommand);
            await WaitUntilSyncedAsync(node);
        });

        AssertMovedOff(node, movedTo);
        await AssertNothingLostAsync(requests, load);
        await using var db = await OpenNodeAsync(node);
        Assert.Equal("3", await StatusAsync(db, "wsrep_cluster_size"));
    }

    [Fact]
    public async Task Every_node_restarted_in_turn_under_load_as_a_rolling_upgrade_costs_no_request_and_loses_or_doubles_no_post()
    {
        // A new configuration or image reaches a node only by its restart: one node at a time, the next once it is synced.
        var (requests, load) = await UnderLoadAsync(async () =>
        {
            foreach (var node in Nodes)
            {
                var restartedAt = DateTime.UtcNow.AddSeconds(-1);
                await stack.App.ExecuteCommandAsync(node, KnownResourceCommands.RestartCommand);
                // This start's own health, not the last one's: two nodes down at once would cost the cluster its quorum.
                await WaitUntilSyncedAsync(node, startedSince: restartedAt);
            }
        });

        await AssertNothingLostAsync(requests, load);
        foreach (var node in Nodes)
        {
            await using var db = await OpenNodeAsync(node);
            Assert.Equal("3", await StatusAsync(db, "wsrep_cluster_size"));
        }
    }

    // The steady load, with the fault in its middle; returns every request it made.
    private async Task<(IReadOnlyList<SteadyLoad.Request>, SteadyLoad)> UnderLoadAsync(Func<Task> fault)
    {
        var load = SteadyLoad.Start(stack, maxDuration: TimeSpan.FromMinutes(5));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var faultStarted = DateTimeOffset.UtcNow - load.Started;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await fault();
        output.WriteLine($"the node was back and synced {clock.Elapsed.TotalSeconds:0.0} s after the fault began");
        await Task.Delay(TimeSpan.FromSeconds(3));
        var requests = await load.StopAsync();

        SteadyLoad.Report(requests, output.WriteLine);
        var during = requests.Where(r => r.StartedAt >= faultStarted && r.StartedAt <= faultStarted + clock.Elapsed).ToList();
        var calm = requests.Where(r => r.StartedAt < faultStarted).ToList();
        output.WriteLine($"slowest request before the fault {Slowest(calm):0} ms, during it {Slowest(during):0} ms (how long the app took to move to another node)");
        var retries = 0;
        foreach (var web in stack.WebInstances)
        {
            retries += (await stack.App.LogLinesAsync(web)).Count(line => line.Contains("Database call failed"));
        }
        output.WriteLine($"database calls the app ran again on another node: {retries}");
        // Pages from MySQL answered while the fault lasted: the app served them from the other nodes.
        var answeredDuring = during.Count(r => r.Method == "GET" && r.Succeeded && r.Path != "/css/site.css");
        Assert.True(answeredDuring >= 20, $"only {answeredDuring} pages from MySQL were answered during the fault ({during.Count} requests)");
        return (requests, load);
    }

    private async Task AssertNothingLostAsync(IReadOnlyList<SteadyLoad.Request> requests, SteadyLoad load)
    {
        load.AssertAtLeast(gets: 100, posts: 10);
        Assert.All(requests.Where(r => r.Method == "GET"), get => Assert.True(get.Succeeded, $"failed: {get}"));
        Assert.All(requests.Where(r => r.Method == "POST"), post => Assert.True(post.Succeeded, $"failed: {post}"));
        // Every acknowledged post, once, on every node; no post stored twice (a title is its post's number).
        var acknowledged = load.AcknowledgedPosts.Order().ToList();
        foreach (var node in Nodes)
        {
            await using var db = await OpenNodeAsync(node);
            var stored = await db.RowsAsync("SELECT id, title FROM posts WHERE title LIKE @marker ORDER BY id",
                row => (Id: row.GetInt64(0), Title: row.GetString(1)), new MySqlParameter("@marker", load.PostMarker + " #%"));
            output.WriteLine($"{node}: {stored.Count} of the load's posts, {acknowledged.Count} acknowledged");
            Assert.Equal(acknowledged, stored.Select(post => post.Id));
            Assert.Equal(stored.Count, stored.Select(post => post.Title).Distinct().Count());
        }
    }

    // The node most of the app's connections are on: the first the app could reach (LoadBalance=FailOver).
    private async Task<string> NodeInUseAsync()
    {
        var connections = await AppConnectionsAsync(Nodes);
        output.WriteLine($"the app's connections: {string.Join(", ", connections.Select(c => $"{c.Key} {c.Value}"))}");
        return connections.MaxBy(c => c.Value).Key;
    }

    // Keeps `failed` down for `downFor` (longer if the app takes longer to move off) and returns the app's connections on
    // the other nodes that ran a statement in the last two seconds: the load keeps the app querying, so once it has moved
    // off some are always that fresh (PROCESSLIST's TIME counts from a connection's last statement).
    private async Task<Dictionary<string, long>> StayDownAsync(string failed, TimeSpan downFor)
    {
        var down = System.Diagnostics.Stopwatch.StartNew();
        var others = Nodes.Where(node => node != failed).ToList();
        var inUse = await Poll.UntilAsync(() => AppConnectionsAsync(others, usedWithinSeconds: 2), connections => connections.Values.Sum() > 0,
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250));
        output.WriteLine($"{failed} down; {down.Elapsed.TotalSeconds:0.0} s later the app's connections in use: {string.Join(", ", inUse.Select(c => $"{c.Key} {c.Value}"))}");
        if (downFor > down.Elapsed)
        {
            await Task.Delay(downFor - down.Elapsed);
        }
        return inUse;
    }

    private static void AssertMovedOff(string failed, Dictionary<string, long> inUse) =>
        Assert.True(inUse.Values.Sum() > 0, $"with {failed} down, no connection of the app on another node ran a statement: it did not move off");

    private async Task<Dictionary<string, long>> AppConnectionsAsync(IEnumerable<string> nodes, int? usedWithinSeconds = null)
    {
        var connections = new Dictionary<string, long>();
        foreach (var node in nodes)
        {
            await using var db = await OpenNodeAsync(node);
            connections[node] = await db.ScalarAsync<long>("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'foobar_web'"
                + (usedWithinSeconds is { } seconds ? $" AND TIME <= {seconds}" : ""));
        }
        return connections;
    }

    // The cluster resource's health, as the dashboard shows it, once it is the one expected; its report's line.
    private async Task<string> ClusterHealthAsync(HealthStatus expected)
    {
        var cluster = await stack.App.ResourceNotifications.WaitForResourceAsync("mysql", e => e.Snapshot.HealthStatus == expected)
            .WaitAsync(TimeSpan.FromSeconds(30));
        return string.Join("; ", cluster.Snapshot.HealthReports.Select(report => report.Description));
    }

    private async Task WaitUntilSyncedAsync(string node, DateTime? startedSince = null)
    {
        try
        {
            await stack.App.ResourceNotifications.WaitForResourceAsync(node, e => e.Snapshot.StartTimeStamp >= (startedSince ?? DateTime.MinValue)
                && e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.HealthStatus == HealthStatus.Healthy)
                .WaitAsync(RejoinTimeout);
        }
        catch (TimeoutException)
        {
            // What the node said is the only account of why it did not rejoin.
            stack.App.ResourceNotifications.TryGetCurrentState(node, out var state);
            output.WriteLine($"{node} not synced after {RejoinTimeout.TotalMinutes} min: {state?.Snapshot.State?.Text}, {state?.Snapshot.HealthStatus}; its last lines:");
            foreach (var line in (await stack.App.LogLinesAsync(node)).TakeLast(60))
            {
                output.WriteLine($"  {line}");
            }
            throw;
        }
    }

    private Task<MySqlConnection> OpenNodeAsync(string node) => stack.Database.OpenNodeAsync(node);

    private static async Task<string?> StatusAsync(MySqlConnection db, string name) =>
        await db.ScalarAsync<string>($"SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '{name.ToUpperInvariant()}'");

    private static string? Property(CustomResourceSnapshot snapshot, string name) =>
        snapshot.Properties.SingleOrDefault(p => p.Name == name)?.Value?.ToString();

    private static double Slowest(IEnumerable<SteadyLoad.Request> requests) =>
        requests.Select(r => r.Latency.TotalMilliseconds).DefaultIfEmpty(0).Max();
}
