using System.Net;
using FooBar.Load;
using MySqlConnector;
using Xunit.Abstractions;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// The operator's mistake, undone: posts written through the site, a backup, more posts, the restore point (a second),
/// posts after it, all of them deleted by mistake, then <c>scripts/db.sh restore --to</c> that second while a visitor
/// reads <c>/posts</c>. Asserts that every post acknowledged before the second is back once, none after it, that the
/// visitor got the 503 page with Retry-After and never a 500, and that the site answered again by itself.
/// </summary>
public static class OperatorMistakeDrill
{
    public static async Task RunAsync(ISite stack, TestDatabase database, BackupScript db, ITestOutputHelper output)
    {
        using var site = stack.CreateSiteClient();
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts/new", HttpStatusCode.OK, TimeSpan.FromMinutes(1))).Status);
        var prefix = $"Drill {Guid.NewGuid():N} ";

        var beforeBackup = await WritePostsAsync(site, prefix + "before the backup", 5);
        await db.RunAsync("backup");
        var afterBackup = await WritePostsAsync(site, prefix + "after the backup", 5);
        // The restore point: the next second, by this machine's clock, which the server's binary log shares.
        var restorePoint = await NextSecondAsync();
        var afterPoint = await WritePostsAsync(site, prefix + "after the restore point", 3);
        int deleted;
        await using (var mistake = await database.OpenAsync())
        {
            // Every post of this drill: those written since the backup come back only by replaying the binary log.
            deleted = await mistake.ExecuteAsync("DELETE FROM posts WHERE title LIKE CONCAT(@prefix, '%')", new MySqlParameter("@prefix", prefix));
        }
        output.WriteLine($"deleted {deleted} posts by mistake after {restorePoint:HH:mm:ss}");
        Assert.Equal(13, deleted);

        using var watching = new CancellationTokenSource();
        var watcher = WatchAsync(site, watching.Token);
        var (restoreOutput, restoreTime) = await db.RunAsync("restore", "--to", restorePoint.ToString("yyyy-MM-dd HH:mm:ss"));
        var (status, _) = await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(2));
        await watching.CancelAsync();
        var answers = await watcher;
        output.WriteLine($"restored in {restoreTime.TotalSeconds:0.0} s:\n{restoreOutput}");
        output.WriteLine($"visitors got {string.Join(", ", answers.GroupBy(a => a.Status).Select(g => $"{g.Count()} × {(int)g.Key}"))}");

        Assert.Equal(HttpStatusCode.OK, status);
        var expected = beforeBackup.Concat(afterBackup).Order().ToList();
        Assert.Equal(expected, await database.PostIdsTitledAsync(prefix));
        Assert.DoesNotContain(afterPoint, id => expected.Contains(id));
        Assert.Contains(answers, a => a.Status == HttpStatusCode.ServiceUnavailable && a.RetryAfter is not null);
        Assert.DoesNotContain(answers, a => a.Status == HttpStatusCode.InternalServerError);
    }

    private static async Task<List<long>> WritePostsAsync(HttpClient site, string title, int count)
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
