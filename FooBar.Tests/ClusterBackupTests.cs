using System.Text.Json;
using FooBar.Tests.Infrastructure;
using MySqlConnector;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// scripts/db.sh backup with high availability, on the database cluster's stack: taken from one Galera node, desynced
/// while it runs so that its peers never wait for it, and synced again after.
/// </summary>
[Collection(DatabaseClusterCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class ClusterBackupTests(DatabaseClusterStackFixture stack, ITestOutputHelper output) : IDisposable
{
    private readonly BackupScript _db = new(() => stack.App.ContainerName("mysql-3"));

    [Fact]
    public async Task A_backup_from_one_node_holds_what_the_cluster_committed_and_the_node_is_synced_again_after()
    {
        await using (var writer = await stack.Database.OpenNodeAsync("mysql-1"))
        {
            await writer.ExecuteAsync("INSERT INTO posts (author, title, body) VALUES ('tests', @title, 'via mysql-1')",
                new MySqlParameter("@title", $"Cluster backup {Guid.NewGuid():N}"));
        }
        await using var node = await stack.Database.OpenNodeAsync("mysql-3");
        var posts = await node.ScalarAsync<long>("SELECT COUNT(*) FROM posts");

        var (backup, elapsed) = await _db.RunAsync("backup");
        output.WriteLine($"backed up in {elapsed.TotalSeconds:0.0} s:\n{backup}");

        var name = await _db.NewestAsync();
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_db.Folder.FullName, name, "manifest.json")));
        Assert.Equal("mysql-3", manifest.RootElement.GetProperty("source").GetString());
        var postsTable = manifest.RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("table").GetString() == "posts");
        // Nothing else writes on this stack while the test runs: the backup holds every post the cluster had.
        Assert.Equal(posts, postsTable.GetProperty("rows").GetInt64());
        // Desynced only while it ran.
        Assert.Equal(0, await node.ScalarAsync<long>("SELECT @@GLOBAL.wsrep_desync"));
        await Poll.UntilAsync(async () => (await node.RowsAsync("SHOW STATUS LIKE 'wsrep_local_state_comment'", row => row.GetString(1))).Single() == "Synced",
            "mysql-3 synced again", TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1));
    }

    public void Dispose() => _db.Dispose();
}
