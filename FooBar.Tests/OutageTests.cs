using System.Diagnostics;
using System.Net;
using FooBar.Tests.Infrastructure;
using MySqlConnector;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// The single server's failure modes, on a stack of their own: with MySQL down the pages that need it say
/// so quickly, with the app down nginx says so itself, and static files are served throughout.
/// </summary>
[Collection(OutageCollection.Name)]
public sealed class OutageTests(OutageStackFixture stack, ITestOutputHelper output)
{
    [Fact]
    public async Task With_MySQL_stopped_pages_answer_503_with_Retry_After_within_two_seconds_and_recover()
    {
        using var site = stack.CreateSiteClient();
        await stack.ExecuteCommandAsync("mysql", KnownResourceCommands.StopCommand);
        try
        {
            foreach (var path in new[] { "/", "/posts", "/posts/1", "/journey", "/fortunes" })
            {
                var clock = Stopwatch.StartNew();
                using var response = await site.GetAsync(path);
                var elapsed = clock.Elapsed;
                var page = await response.ReadHtmlAsync();

                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path} answered {(int)response.StatusCode}");
                Assert.True(elapsed < TimeSpan.FromSeconds(2), $"{path} took {elapsed.TotalSeconds:0.00} s");
                Assert.Equal(TimeSpan.FromSeconds(10), response.Headers.RetryAfter?.Delta);
                Assert.Equal("The database is unavailable", page.QuerySelector("h1")?.TextContent);
                // Visitors get no stack trace.
                Assert.Null(page.QuerySelector(".error-details"));
            }

            using var stylesheet = await site.GetAsync("/css/site.css");
            Assert.Equal(HttpStatusCode.OK, stylesheet.StatusCode);
        }
        finally
        {
            await stack.ExecuteCommandAsync("mysql", KnownResourceCommands.StartCommand);
        }

        // Once MySQL is back, the site answers again without anyone restarting anything else.
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/", HttpStatusCode.OK, TimeSpan.FromMinutes(2))).Status);
    }

    [Fact]
    public async Task With_the_app_stopped_nginx_answers_with_its_own_page_and_still_serves_static_files()
    {
        using var site = stack.CreateSiteClient();
        await stack.ExecuteCommandAsync("web", KnownResourceCommands.StopCommand);
        try
        {
            var clock = Stopwatch.StartNew();
            using var response = await site.GetAsync("/posts");
            var elapsed = clock.Elapsed;
            var page = await response.ReadHtmlAsync();
            using var stylesheet = await site.GetAsync("/css/site.css");

            Assert.True(response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout,
                $"/posts answered {(int)response.StatusCode}");
            Assert.Equal("The site is temporarily unavailable", page.QuerySelector("h1")?.TextContent);
            // The app's socket refuses the connection, so nginx knows at once: no proxy of Aspire's accepts it instead.
            Assert.True(elapsed < TimeSpan.FromSeconds(2), $"nginx answered after {elapsed.TotalSeconds:0.0} s");
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            Assert.Equal(HttpStatusCode.OK, stylesheet.StatusCode);
        }
        finally
        {
            await stack.ExecuteCommandAsync("web", KnownResourceCommands.StartCommand);
        }

        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(2))).Status);
    }

    [Fact]
    public async Task A_query_in_flight_when_MySQL_stops_gets_503_and_its_exception_is_logged_once()
    {
        using var site = stack.CreateSiteClient();
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts/1", HttpStatusCode.OK, TimeSpan.FromMinutes(1))).Status);
        HttpResponseMessage response;
        await using (var db = await stack.OpenDatabaseAsync())
        {
            // A write lock holds the app's SELECT on the server, so MySQL stops while the query is in flight.
            await ExecuteAsync(db, "LOCK TABLES posts WRITE");
            var pending = site.GetAsync("/posts/1");
            await WaitForAsync(async () => await CountAsync(db,
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'foobar_web' AND STATE LIKE 'Waiting for table%'") > 0);

            await stack.ExecuteCommandAsync("mysql", KnownResourceCommands.StopCommand);
            response = await pending;
        }
        try
        {
            var page = await response.ReadHtmlAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"the interrupted query answered {(int)response.StatusCode}");
            Assert.Equal(TimeSpan.FromSeconds(10), response.Headers.RetryAfter?.Delta);
            Assert.Equal("The database is unavailable", page.QuerySelector("h1")?.TextContent);

            // The visitor gets the trace id; the exception is in that trace's logs, once.
            var traceId = page.QuerySelector(".trace-id")?.TextContent ?? "";
            Assert.Matches("^[0-9a-f]{32}$", traceId);
            static bool IsUnhandled(LogRecord log) => log.Resource == "web" && log.Message.Contains("unhandled exception", StringComparison.OrdinalIgnoreCase);
            await stack.Telemetry.WaitForAsync(() => stack.Telemetry.GetLogsAsync(traceId), logs => logs.Any(IsUnhandled));
            // Give a second copy time to arrive before counting.
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Single(await stack.Telemetry.GetLogsAsync(traceId), IsUnhandled);
        }
        finally
        {
            response.Dispose();
            await stack.ExecuteCommandAsync("mysql", KnownResourceCommands.StartCommand);
        }

        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts/1", HttpStatusCode.OK, TimeSpan.FromMinutes(2))).Status);
    }

    [Fact]
    public async Task Posts_acknowledged_just_before_MySQL_is_killed_are_all_there_after_it_restarts()
    {
        using var site = stack.CreateSiteClient();
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts/new", HttpStatusCode.OK, TimeSpan.FromMinutes(1))).Status);
        var run = Guid.NewGuid().ToString("N");
        var acknowledged = new List<(long Id, string Title)>();
        var tenAcknowledged = new TaskCompletionSource();

        // Posts go on being written until the first one is refused: the kill lands between acknowledgements.
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                var title = $"Durable {run} {i}";
                using var response = await site.SubmitFormAsync("/posts/new",
                    new Dictionary<string, string> { ["Input.Author"] = "durability", ["Input.Title"] = title, ["Input.Body"] = "kept" });
                if (response.StatusCode != HttpStatusCode.Redirect)
                {
                    output.WriteLine($"post {i} after the kill answered {(int)response.StatusCode}");
                    return;
                }
                lock (acknowledged)
                {
                    acknowledged.Add((long.Parse(response.Headers.Location!.OriginalString["/posts/".Length..]), title));
                    if (acknowledged.Count == 10) tenAcknowledged.TrySetResult();
                }
            }
        });

        await tenAcknowledged.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await DockerEngine.KillContainerAsync(stack.ContainerName("mysql"));
        await writer.WaitAsync(TimeSpan.FromMinutes(1));

        // After a kill Aspire reports the container exited and leaves it so; its start command brings it back on its volume.
        using (var wait = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            var exited = await stack.App.ResourceNotifications.WaitForResourceAsync("mysql", KnownResourceStates.TerminalStates, wait.Token);
            output.WriteLine($"after docker kill, Aspire reports mysql as {exited}");
        }
        await stack.ExecuteCommandAsync("mysql", KnownResourceCommands.StartCommand);
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(2))).Status);

        output.WriteLine($"{acknowledged.Count} posts acknowledged before the kill");
        await using var db = await stack.OpenDatabaseAsync();
        foreach (var (id, title) in acknowledged)
        {
            await using var query = new MySqlCommand("SELECT title FROM posts WHERE id = @id", db);
            query.Parameters.AddWithValue("@id", id);
            Assert.Equal(title, await query.ExecuteScalarAsync() as string);
        }
    }

    private static async Task ExecuteAsync(MySqlConnection db, string sql)
    {
        await using var command = new MySqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(MySqlConnection db, string sql)
    {
        await using var command = new MySqlCommand(sql, db);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }
}
