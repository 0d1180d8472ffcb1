using System.Net;
using FooBar.Load;
using FooBar.Tests.Infrastructure;
using MySqlConnector;
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
    public async Task A_mistaken_delete_is_undone_by_a_restore_to_the_second_before_it_with_every_post_acknowledged_before_and_none_after()
    {
        using var site = stack.CreateSiteClient();
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts/new", HttpStatusCode.OK, TimeSpan.FromMinutes(1))).Status);
        var prefix = $"Drill {Guid.NewGuid():N} ";

        var beforeBackup = await WritePostsAsync(site, prefix + "before the backup", 5);
        await _db.RunAsync("backup");
        var afterBackup = await WritePostsAsync(site, prefix + "after the backup", 5);
        // The restore point: the next second, by this machine's clock, which the server's binary log shares.
        var restorePoint = await NextSecondAsync();
        var afterPoint = await WritePostsAsync(site, prefix + "after the restore point", 3);
        var mistake = await stack.Database.OpenAsync();
        int deleted;
        await using (mistake)
        {
            // Every post of this drill: those written since the backup come back only by replaying the binary log.
            deleted = await mistake.ExecuteAsync("DELETE FROM posts WHERE title LIKE CONCAT(@prefix, '%')", new MySqlParameter("@prefix", prefix));
        }
        output.WriteLine($"deleted {deleted} posts by mistake after {restorePoint:HH:mm:ss}");
        Assert.Equal(13, deleted);

        // Visitors meanwhile: the site's 503 page with Retry-After while the data is replaced, never a 500.
        using var watching = new CancellationTokenSource();
        var watcher = WatchAsync(site, watching.Token);
        var (restoreOutput, restoreTime) = await _db.RunAsync("restore", "--to", restorePoint.ToString("yyyy-MM-dd HH:mm:ss"));
        var (status, _) = await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(2));
        await watching.CancelAsync();
        var answers = await watcher;
        output.WriteLine($"restored in {restoreTime.TotalSeconds:0.0} s:\n{restoreOutput}");
        output.WriteLine($"visitors got {string.Join(", ", answers.GroupBy(a => a.Status).Select(g => $"{g.Count()} × {(int)g.Key}"))}");

        // The site answers again by itself, and holds every post acknowledged before the second, once, and none after.
        Assert.Equal(HttpStatusCode.OK, status);
        var expected = beforeBackup.Concat(afterBackup).Order().ToList();
        Assert.Equal(expected, await stack.Database.PostIdsTitledAsync(prefix));
        Assert.DoesNotContain(afterPoint, id => expected.Contains(id));
        Assert.Contains(answers, a => a.Status == HttpStatusCode.ServiceUnavailable && a.RetryAfter is not null);
        Assert.DoesNotContain(answers, a => a.Status == HttpStatusCode.InternalServerError);
    }

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

    public void Dispose() => _db.Dispose();

    private async Task<List<long>> WritePostsAsync(HttpClient site, string title, int count)
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            using var response = await site.SubmitFormAsync("/posts/new", PostForm.Fields("drill", $"{title} {i}", "kept"));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            ids.Add(long.Parse(response.Headers.Location!.OriginalString["/posts/".Length..]));
        }
        return ids;
    }

    // The start of the next whole second (UTC), once it has come: every write acknowledged so far is before it.
    private static async Task<DateTime> NextSecondAsync()
    {
        var now = DateTime.UtcNow;
        var next = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc).AddSeconds(1);
        await Task.Delay(next - now + TimeSpan.FromMilliseconds(20));
        return next;
    }

    private sealed record Answer(HttpStatusCode Status, TimeSpan? RetryAfter);

    // What a visitor reading /posts gets, every 100 ms, until cancelled.
    private static async Task<List<Answer>> WatchAsync(HttpClient site, CancellationToken stop)
    {
        var answers = new List<Answer>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await site.GetAsync("/posts", stop);
                answers.Add(new Answer(response.StatusCode, response.Headers.RetryAfter?.Delta));
                await Task.Delay(TimeSpan.FromMilliseconds(100), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
        return answers;
    }
}
