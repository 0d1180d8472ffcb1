using FooBar.Load;
using FooBar.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// scripts/db.sh on the single server, on the outage stack (its tests stop MySQL too, one at a time): the operator's
/// mistake undone by a restore to the second before it, and a backup proven by restoring it.
/// </summary>
[Collection(OutageCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class BackupTests(OutageStackFixture stack, ITestOutputHelper output) : IDisposable
{
    private readonly BackupScript _db = new(() => stack.App.ContainerName("mysql"));

    [Fact]
    public Task A_mistaken_delete_is_undone_by_a_restore_to_the_second_before_it_with_every_post_acknowledged_before_and_none_after() =>
        OperatorMistakeDrill.RunAsync(stack, stack.Database, _db, output);

    [Fact]
    public async Task A_backup_is_verified_by_restoring_it_and_a_damaged_one_is_refused_with_the_live_data_untouched()
    {
        var title = $"Verified {Guid.NewGuid():N}";
        var id = await stack.Database.InsertPostAsync(title);
        await _db.RunAsync("backup");
        var name = await _db.NewestAsync();

        var (verified, _) = await _db.RunAsync("verify", name);
        Assert.Contains($"verified {name}", verified);

        // A byte changed in the middle of the backup: its checksum no longer matches, and restore refuses before it stops anything.
        var data = Path.Combine(_db.Folder.FullName, name, "data.xb");
        await using (var file = File.Open(data, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            var original = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(original ^ 0xff));
        }
        var refused = await _db.RunAsync(1, "restore", "--backup", name);
        Assert.Contains("is corrupted", refused.Output);
        var future = await _db.RunAsync(1, "restore", "--to", DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-dd HH:mm:ss"));
        Assert.Contains("is in the future", future.Output);
        Assert.Equal(title, (await stack.Database.FindPostAsync(id))?.Title);
    }

    [Fact]
    public async Task A_backup_under_the_steady_load_fails_no_request()
    {
        var load = SteadyLoad.Start(stack, maxDuration: TimeSpan.FromMinutes(3));
        await load.RunUntilAsync(gets: 30);
        var started = load.Elapsed();
        var (backup, elapsed) = await _db.RunAsync("backup");
        await load.RunUntilAsync(gets: 30, since: load.Elapsed());
        var requests = await load.StopAsync();

        SteadyLoad.Report(requests, output.WriteLine);
        var during = requests.Where(r => r.StartedAt >= started && r.StartedAt <= started + elapsed).ToList();
        var slowestRequest = during.MaxBy(r => r.Latency);
        var slowest = slowestRequest?.Latency ?? TimeSpan.Zero;
        output.WriteLine($"the backup took {elapsed.TotalSeconds:0.0} s; {during.Count} requests meanwhile, the slowest " +
            $"{slowest.TotalMilliseconds:0} ms, {((slowestRequest?.StartedAt ?? started) - started).TotalSeconds:0.0} s into it: {slowestRequest}\n{backup}");
        load.AssertAtLeast(gets: 60, posts: 5);
        Assert.True(during.Count >= 10, $"only {during.Count} requests were made during the backup");
        // The slowest is printed, not asserted: a speed target is a benchmark's figure (docs/backups.md), not a test's.
        Assert.All(requests, request => Assert.True(request.Succeeded, $"failed: {request}"));
    }

    public void Dispose() => _db.Dispose();
}
