using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using FooBar.Hosting.Processes;
using FooBar.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// The single server's failure modes, on a stack of their own: with MySQL down the pages that need it say
/// so quickly, with the app down nginx says so itself, a crashed app is started again, and static files are
/// served throughout.
/// </summary>
[Collection(OutageCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class OutageTests(OutageStackFixture stack, ITestOutputHelper output)
{
    [Fact]
    public async Task With_MySQL_stopped_pages_answer_503_with_Retry_After_within_two_seconds_and_recover()
    {
        using var site = stack.CreateSiteClient();
        await stack.App.ExecuteCommandAsync("mysql", KnownResourceCommands.StopCommand);
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
            await stack.App.ExecuteCommandAsync("mysql", KnownResourceCommands.StartCommand);
        }

        // Once MySQL is back, the site answers again without anyone restarting anything else.
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/", HttpStatusCode.OK, TimeSpan.FromMinutes(2))).Status);
    }

    [Fact]
    public async Task With_the_DNS_server_answering_nothing_the_journey_page_answers_and_says_its_lookup_failed()
    {
        using var site = stack.CreateSiteClient();
        // Paused, not stopped: its port still takes the queries, and the page's lookup waits out its timeout.
        var dns = stack.App.ContainerName("dns");
        await DockerEngine.RunAsync("pause", dns);
        try
        {
            using var response = await site.GetAsync("/journey");
            var page = await response.ReadHtmlAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(page.QuerySelectorAll("tr.journey-dns-a"));
            var outcome = page.QuerySelector(".journey-dns-rcode")?.TextContent ?? "";
            output.WriteLine($"the page's lookup: {outcome}");
            Assert.NotEqual("NoError", outcome);
            Assert.Null(page.QuerySelector(".error-details"));
        }
        finally
        {
            await DockerEngine.RunAsync("unpause", dns);
        }
    }

    [Fact]
    public async Task With_the_app_stopped_nginx_answers_with_its_own_page_and_still_serves_static_files()
    {
        using var site = stack.CreateSiteClient();
        await stack.App.ExecuteCommandAsync("web", KnownResourceCommands.StopCommand);
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
            await stack.App.ExecuteCommandAsync("web", KnownResourceCommands.StartCommand);
        }

        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(2))).Status);
    }

    [Fact]
    public async Task With_the_app_down_pages_answer_502_within_a_second_with_Retry_After_and_say_the_app_did_not_receive_the_request()
    {
        using var site = stack.CreateSiteClient();
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(1))).Status);
        await stack.App.ExecuteCommandAsync("web", KnownResourceCommands.StopCommand);
        try
        {
            // The command returns once the process has ended; the dashboard hears of it a moment later.
            var web = await stack.App.ResourceNotifications.WaitForResourceAsync("web", e => IsStopped(e.Snapshot)).WaitAsync(TimeSpan.FromSeconds(30));
            // A form sent while the app is down is the case that matters: nothing of it was saved.
            foreach (var request in new[] { new HttpRequestMessage(HttpMethod.Get, "/posts"),
                         new HttpRequestMessage(HttpMethod.Post, "/posts/new") { Content = new FormUrlEncodedContent([new("Input.Title", "lost?")]) } })
            {
                var clock = Stopwatch.StartNew();
                using var response = await site.SendAsync(request);
                var elapsed = clock.Elapsed;
                var page = await response.ReadHtmlAsync();
                output.WriteLine($"with the app down, {request.Method} {request.RequestUri}: {(int)response.StatusCode} after {elapsed.TotalMilliseconds:0} ms");

                Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}");
                Assert.True(elapsed < TimeSpan.FromSeconds(1), $"nginx answered after {elapsed.TotalSeconds:0.00} s");
                Assert.Equal(TimeSpan.FromSeconds(10), response.Headers.RetryAfter?.Delta);
                Assert.Contains("the app did not receive your request", Text(page.QuerySelector(".error-message")));
            }

            // nginx itself is fine, and says so; the dashboard shows web stopped, with no health to report.
            using var health = await site.GetAsync("/nginx/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Null(web.Snapshot.HealthStatus);
        }
        finally
        {
            await stack.App.ExecuteCommandAsync("web", KnownResourceCommands.StartCommand);
        }

        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(2))).Status);
    }

    [Fact]
    public async Task A_hung_app_is_ended_within_seconds_and_started_again_and_its_visitor_gets_the_page_saying_it_may_have_received_the_request()
    {
        using var site = stack.CreateSiteClient();
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(1))).Status);
        var pid = stack.App.ProcessId("web");
        // SIGSTOP: the process lives on but does nothing, as a deadlocked app would; its socket still accepts connections.
        await Signals.SendAsync("STOP", pid);
        try
        {
            var clock = Stopwatch.StartNew();
            using var response = await site.GetAsync("/posts");
            var elapsed = clock.Elapsed;
            var page = await response.ReadHtmlAsync();
            output.WriteLine($"a hung app: nginx answered {(int)response.StatusCode} after {elapsed.TotalSeconds:0.0} s");

            // Its liveness probe ends it after 5 unanswered asks, a second apart; nginx had sent it the request, so the
            // page says it may have been received (502), or nginx's own 10 s read timeout comes first (504).
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.BadGateway, HttpStatusCode.GatewayTimeout });
            Assert.InRange(elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(12));
            Assert.Equal(TimeSpan.FromSeconds(10), response.Headers.RetryAfter?.Delta);
            Assert.Equal("The site is temporarily unavailable", page.QuerySelector("h1")?.TextContent);
            var message = Text(page.QuerySelector(".error-message"));
            Assert.Contains("may have received your request", message);
            Assert.Contains("check whether it was saved before you send it again", message);
        }
        finally
        {
            await Signals.ContinueIfAliveAsync(pid);
        }

        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(1))).Status);
        // Ended and started again by its supervisor, without a person; the dashboard's log says why.
        Assert.NotEqual(pid, stack.App.ProcessId("web"));
        Assert.Contains(await stack.App.LogLinesAsync("web"), line => line.Contains($"Process {pid} made no progress for"));
    }

    [Fact]
    public async Task After_a_SIGKILL_the_app_is_restarted_and_the_site_answers_again_within_ten_seconds()
    {
        using var site = stack.CreateSiteClient();
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(1))).Status);
        var killed = stack.App.ProcessId("web");
        using var watch = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exited = stack.App.ResourceNotifications.WaitForResourceAsync("web", e => IsStopped(e.Snapshot), watch.Token);

        var clock = Stopwatch.StartNew();
        using (var process = Process.GetProcessById(killed))
        {
            // SIGKILL, as the kernel's out-of-memory killer or a crash would end it: no clean shutdown, its socket file left behind.
            process.Kill();
        }
        var down = await exited;
        var (status, _) = await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
        var elapsed = clock.Elapsed;
        output.WriteLine($"after SIGKILL the dashboard showed web {down.Snapshot.State?.Text} (exit code {down.Snapshot.ExitCode}, " +
            $"health {down.Snapshot.HealthStatus?.ToString() ?? "none"}); the site answered 200 again after {elapsed.TotalSeconds:0.0} s");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"the site answered 200 again only after {elapsed.TotalSeconds:0.0} s");
        Assert.NotEqual(0, down.Snapshot.ExitCode);
        Assert.Null(down.Snapshot.HealthStatus);
        Assert.NotEqual(killed, stack.App.ProcessId("web"));
        // The restart is in web's console log in the dashboard, with the exit code and the attempt number.
        var restarts = (await stack.App.LogLinesAsync("web")).Where(line => Regex.IsMatch(line, @"Exited unexpectedly with exit code -?\d+; restart attempt \d+ in")).ToList();
        output.WriteLine(string.Join("\n", restarts));
        Assert.NotEmpty(restarts);
    }

    [Fact]
    public async Task The_app_stopped_with_the_Stop_command_stays_stopped()
    {
        using var site = stack.CreateSiteClient();
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(1))).Status);
        await stack.App.ExecuteCommandAsync("web", KnownResourceCommands.StopCommand);
        try
        {
            await stack.App.ResourceNotifications.WaitForResourceAsync("web", e => IsStopped(e.Snapshot)).WaitAsync(TimeSpan.FromSeconds(30));
            // Longer than the first four waits before a restart (1 s, 2 s, 4 s, 8 s): a restart would have begun by now.
            var states = await StatesAsync("web", TimeSpan.FromSeconds(15));
            output.WriteLine($"web's states in the 15 s after the stop: {string.Join(", ", states)}");

            // Every start, the supervisor's too, is announced as Starting.
            Assert.DoesNotContain(KnownResourceStates.Starting, states);
            using var response = await site.GetAsync("/posts");
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        }
        finally
        {
            await stack.App.ExecuteCommandAsync("web", KnownResourceCommands.StartCommand);
        }

        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(2))).Status);
    }

    [Fact]
    public async Task A_query_in_flight_when_MySQL_stops_gets_503_and_its_exception_is_logged_once()
    {
        using var site = stack.CreateSiteClient();
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts/1", HttpStatusCode.OK, TimeSpan.FromMinutes(1))).Status);
        HttpResponseMessage response;
        await using (var db = await stack.Database.OpenAsync())
        {
            // A write lock holds the app's SELECT on the server, so MySQL stops while the query is in flight.
            await db.ExecuteAsync("LOCK TABLES posts WRITE");
            var pending = site.GetAsync("/posts/1");
            await Poll.UntilAsync(async () => await db.ScalarAsync<long>(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'foobar_web' AND STATE LIKE 'Waiting for table%'") > 0,
                "the app's query waiting for the locked table", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));

            await stack.App.ExecuteCommandAsync("mysql", KnownResourceCommands.StopCommand);
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
            // Another request MySQL's absence fails, after it: the app exports its logs in order, so once that one's
            // exception has arrived, a second copy of the first one's would have too.
            var fenceId = TraceIds.NewTraceId();
            using (var fence = new HttpRequestMessage(HttpMethod.Get, "/posts/1"))
            {
                fence.Headers.TryAddWithoutValidation("traceparent", TraceIds.Traceparent(fenceId));
                using var fenced = await site.SendAsync(fence);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, fenced.StatusCode);
            }
            Assert.Contains(await stack.Telemetry.WaitForAsync(() => stack.Telemetry.GetLogsAsync(fenceId), logs => logs.Any(IsUnhandled)), IsUnhandled);
            Assert.Single(await stack.Telemetry.GetLogsAsync(traceId), IsUnhandled);
        }
        finally
        {
            response.Dispose();
            await stack.App.ExecuteCommandAsync("mysql", KnownResourceCommands.StartCommand);
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
                using var response = await site.SubmitFormAsync("/posts/new", PostForm.Fields("durability", title, "kept"));
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
        await DockerEngine.KillContainerAsync(stack.App.ContainerName("mysql"));
        try
        {
            await writer.WaitAsync(TimeSpan.FromMinutes(1));
        }
        finally
        {
            // After a kill Aspire reports the container exited and leaves it so; its start command brings it back on
            // its volume. Whatever failed above, the next test finds MySQL running.
            using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var exited = await stack.App.ResourceNotifications.WaitForResourceAsync("mysql", KnownResourceStates.TerminalStates, wait.Token);
            output.WriteLine($"after docker kill, Aspire reports mysql as {exited}");
            await stack.App.ExecuteCommandAsync("mysql", KnownResourceCommands.StartCommand);
        }
        Assert.Equal(HttpStatusCode.OK, (await site.WaitForStatusAsync("/posts", HttpStatusCode.OK, TimeSpan.FromMinutes(2))).Status);

        output.WriteLine($"{acknowledged.Count} posts acknowledged before the kill");
        foreach (var (id, title) in acknowledged)
        {
            Assert.Equal(title, (await stack.Database.FindPostAsync(id))?.Title);
        }
    }

    // Every state the dashboard is told a resource is in, for a while, starting with its current one.
    private async Task<List<string?>> StatesAsync(string resourceName, TimeSpan duration)
    {
        var states = new List<string?>();
        using var window = new CancellationTokenSource(duration);
        try
        {
            await foreach (var e in stack.App.ResourceNotifications.WatchAsync(window.Token))
            {
                if (e.Resource.Name == resourceName && states.LastOrDefault() != e.Snapshot.State?.Text)
                {
                    states.Add(e.Snapshot.State?.Text);
                }
            }
        }
        catch (OperationCanceledException) when (window.IsCancellationRequested)
        {
        }
        return states;
    }

    private static bool IsStopped(CustomResourceSnapshot snapshot) => KnownResourceStates.TerminalStates.Contains(snapshot.State?.Text);

    // A page's sentence as a reader sees it, whatever the line breaks in the HTML.
    private static string Text(AngleSharp.Dom.IElement? element) => Regex.Replace(element?.TextContent ?? "", @"\s+", " ").Trim();
}
