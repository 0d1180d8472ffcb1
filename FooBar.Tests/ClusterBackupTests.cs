using System.Text.Json;
using FooBar.Hosting;
using FooBar.Tests.Infrastructure;
using MySqlConnector;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// scripts/db.sh with high availability, on the database cluster's stack: a backup taken from one Galera node, desynced
/// while it runs so that its peers never wait for it; a restore that rebuilds the cluster from that node.
/// </summary>
[Collection(DatabaseClusterCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class ClusterBackupTests(DatabaseClusterStackFixture stack, ITestOutputHelper output) : IDisposable
{
    private readonly BackupScript _db = new(() => stack.App.ContainerName("mysql-3"));

    [Fact]
    public async Task The_clusters_Back_up_command_copies_its_last_synced_node_with_what_the_cluster_committed_and_the_node_is_synced_again_after()
    {
        await using (var writer = await stack.Database.OpenNodeAsync("mysql-1"))
        {
            await writer.ExecuteAsync("INSERT INTO posts (author, title, body) VALUES ('tests', @title, 'via mysql-1')",
                new MySqlParameter("@title", $"Cluster backup {Guid.NewGuid():N}"));
        }
        await using var node = await stack.Database.OpenNodeAsync("mysql-3");
        var posts = await node.ScalarAsync<long>("SELECT COUNT(*) FROM posts");

        // The dashboard's command, as an operator (or the schedule) would: db.sh backup of the last node that is synced.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await stack.App.ExecuteCommandAsync("mysql", MySqlBackupExtensions.BackupCommandName);
        output.WriteLine($"backed up in {clock.Elapsed.TotalSeconds:0.0} s:\n{string.Join('\n', (await stack.App.LogLinesAsync("mysql")).TakeLast(5))}");

        var made = Assert.Single(stack.BackupFolder.GetDirectories(), folder => File.Exists(Path.Combine(folder.FullName, "manifest.json")));
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(made.FullName, "manifest.json")));
        Assert.Equal("mysql-3", manifest.RootElement.GetProperty("source").GetString());
        var postsTable = manifest.RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("table").GetString() == "posts");
        // Every post the cluster had committed before the backup is in it; one the app wrote meanwhile may be too, but
        // none that was not there when it ended.
        var postsAfter = await node.ScalarAsync<long>("SELECT COUNT(*) FROM posts");
        Assert.InRange(postsTable.GetProperty("rows").GetInt64(), posts, postsAfter);
        // Desynced only while it ran.
        Assert.Equal(0, await node.ScalarAsync<long>("SELECT @@GLOBAL.wsrep_desync"));
        await Poll.UntilAsync(async () => (await node.RowsAsync("SHOW STATUS LIKE 'wsrep_local_state_comment'", row => row.GetString(1))).Single() == "Synced",
            "mysql-3 synced again", TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_mistaken_delete_is_undone_on_every_node_by_a_restore_to_the_second_before_it_and_the_cluster_is_whole_again()
    {
        await OperatorMistakeDrill.RunAsync(stack, stack.Database, _db, output);

        // Rebuilt from the restored node: every node synced again, and the cluster healthy in the dashboard.
        using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await stack.App.ResourceNotifications.WaitForResourceHealthyAsync("mysql", wait.Token);
        foreach (var name in new[] { "mysql-1", "mysql-2", "mysql-3" })
        {
            await using var node = await stack.Database.OpenNodeAsync(name);
            Assert.Equal(3, await node.ScalarAsync<long>("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'wsrep_cluster_size'"));
            // The donor of the last state transfer is Synced again too: the cluster is left as the other tests expect it.
            await Poll.UntilAsync(async () => (await node.RowsAsync("SHOW STATUS LIKE 'wsrep_local_state_comment'", row => row.GetString(1))).Single() == "Synced",
                $"{name} synced", TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(1));
        }
    }

    public void Dispose() => _db.Dispose();
}
