using System.Net;
using System.Security.Cryptography.X509Certificates;
using DnsClient;
using FooBar.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// FooBar on Docker Swarm (issue 12), deployed by scripts/swarm.sh on this single node: the site through nginx, a web task
/// killed and replaced, an update rolled out, and MySQL restarted, each costing visitors nothing; then `down` leaves nothing
/// of the test behind. The tests share one stack and each leaves it healthy; the one that takes it down runs last.
/// </summary>
[TestCaseOrderer(RunsLastOrderer.TypeName, RunsLastOrderer.AssemblyName)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class SwarmStackTests(SwarmStackFixture stack, ITestOutputHelper output) : IClassFixture<SwarmStackFixture>
{
    // Swarm notices a task's exit, starts another, and waits for its health check.
    private static readonly TimeSpan ReplacementTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_deployed_stack_serves_pages_a_post_written_through_the_form_and_static_files_through_nginx()
    {
        var title = $"Written on the swarm {Guid.NewGuid():N}";
        using var site = stack.CreateSiteClient();

        foreach (var path in new[] { "/", "/posts", "/journey", "/fortunes" })
        {
            await site.GetHtmlAsync(path);
        }
        using var written = await site.SubmitFormAsync("/posts/new", PostForm.Fields("swarm", title, "through nginx, web and MySQL"));
        var id = PostForm.WrittenPostId(written);
        var post = await site.GetHtmlAsync($"/posts/{id}");
        using var stylesheet = await site.GetAsync("/css/site.css");

        Assert.Contains($"site: https://www.foobar.com:{stack.SiteAddress.Port}/ at 127.0.0.1", stack.UpOutput);
        Assert.Equal(SwarmStackFixture.WebInstances, (await SwarmEngine.HealthyTasksAsync(stack.ServiceName("web"))).Count);
        Assert.Equal(title, post.QuerySelector("article h1")?.TextContent);
        Assert.Equal([id], await stack.Database.PostIdsTitledAsync(title));
        Assert.Equal(HttpStatusCode.OK, stylesheet.StatusCode);
        Assert.Equal("text/css", stylesheet.Content.Headers.ContentType?.MediaType);
        // nginx's own caching rule for a file without a version: the file came from nginx, not the app.
        Assert.Equal("public, max-age=300", stylesheet.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task The_stacks_DNS_server_answers_www_as_a_CNAME_for_foobar_com_at_the_nodes_address_and_nothing_else()
    {
        var dns = stack.Dns.Client();
        var www = await dns.QueryAsync("www.foobar.com", QueryType.A);
        var overTcp = await stack.Dns.Client(tcp: true).QueryAsync("foobar.com", QueryType.A);
        var other = await dns.QueryAsync("example.com", QueryType.A);
        // A visitor's path: the name resolved by the stack's own server, then the page from the address it gave.
        using var site = stack.Dns.SiteClient(stack.SiteAddress.Port, scheme: stack.SiteAddress.Scheme);
        using var page = await site.GetAsync("/");

        Assert.Equal("foobar.com.", Assert.Single(www.Answers.CnameRecords()).CanonicalName.Value);
        // One node on loopback: the address visitors reach it at (scripts/swarm.sh passes it at publish).
        Assert.Equal(IPAddress.Loopback, Assert.Single(www.Answers.ARecords()).Address);
        Assert.True(www.Header.HasAuthorityAnswer);
        Assert.Equal(IPAddress.Loopback, Assert.Single(overTcp.Answers.ARecords()).Address);
        Assert.Equal(DnsHeaderResponseCode.Refused, other.Header.ResponseCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task A_sampled_request_is_one_trace_nginx_web_MySQL_in_the_stacks_own_dashboard()
    {
        var traceId = TraceIds.NewTraceId();
        using var site = stack.CreateSiteClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("traceparent", TraceIds.Traceparent(traceId, sampled: true));
        using var response = await site.SendAsync(request);
        var telemetry = await stack.TelemetryAsync();

        // The services export in batches (the app every few seconds).
        var trace = await telemetry.WaitForAsync(() => telemetry.GetSpansAsync(traceId), IsWhole, TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(IsWhole(trace), $"the trace is not whole: {string.Join("; ", trace)}");
        Assert.All(trace, span => Assert.Equal(traceId, span.TraceId));
    }

    // nginx's server span, the app's server span and its MySQL client span: each hop, named by its service.
    private static bool IsWhole(IReadOnlyList<Span> trace) =>
        trace.Any(s => s.Resource.StartsWith("nginx", StringComparison.Ordinal) && s.Kind == Span.ServerKind)
        && trace.Any(s => s.Resource.StartsWith("web", StringComparison.Ordinal) && s.Kind == Span.ServerKind)
        && trace.Any(s => s.Resource.StartsWith("web", StringComparison.Ordinal) && s.Kind == Span.ClientKind && (s.Attributes.ContainsKey("db.system") || s.Attributes.ContainsKey("db.system.name")));

    [Fact]
    public async Task A_killed_web_task_is_replaced_by_Swarm_while_every_page_view_answers()
    {
        var web = stack.ServiceName("web");
        var before = await SwarmEngine.HealthyTasksAsync(web);
        Assert.Equal(SwarmStackFixture.WebInstances, before.Count);
        var killed = before[0];
        await using var load = SteadyLoad.Start(stack);
        await Task.Delay(TimeSpan.FromSeconds(2));

        await DockerEngine.KillContainerAsync(killed.ContainerId);
        var replaced = await SwarmEngine.WaitForHealthyTasksAsync(web,
            tasks => tasks.Count == SwarmStackFixture.WebInstances && tasks.All(task => task.TaskId != killed.TaskId), ReplacementTimeout);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var requests = await load.StopAsync();
        // Every task back: the script says so in the dashboard's words.
        var status = await stack.StatusAsync();

        SteadyLoad.Report(requests, output.WriteLine);
        load.AssertAtLeast(gets: 50, posts: 5);
        output.WriteLine($"killed task {killed.TaskId}; running now: {string.Join(", ", replaced.Select(task => task.TaskId))}");
        Assert.True(status.Succeeded, SwarmStackFixture.Explain("status", status));
        Assert.Contains("health: Healthy: every service runs all its tasks", status.Output);
        var gets = requests.Where(r => r.Method == "GET").ToList();
        Assert.All(gets, get => Assert.True(get.Succeeded, $"failed: {get}"));
        // A post the killed task had received may have been stored or not, and its visitor was told so; every acknowledged one is stored.
        load.AssertEveryAcknowledgedPostStored(await stack.Database.PostIdsTitledAsync(load.PostMarker));
    }

    [Fact]
    public async Task An_update_under_steady_load_replaces_every_web_task_fails_no_request_and_stores_every_post()
    {
        var web = stack.ServiceName("web");
        var before = await SwarmEngine.HealthyTasksAsync(web);
        Assert.Equal(SwarmStackFixture.WebInstances, before.Count);
        // The visitors outlast the update's own bound, so they see all of it.
        await using var load = SteadyLoad.Start(stack, maxDuration: SwarmStackFixture.UpdateTimeout + TimeSpan.FromMinutes(1));
        await Task.Delay(TimeSpan.FromSeconds(2));

        var update = await stack.UpdateAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var requests = await load.StopAsync();
        var after = await SwarmEngine.HealthyTasksAsync(web);

        SteadyLoad.Report(requests, output.WriteLine);
        load.AssertAtLeast(gets: 50, posts: 10);
        Assert.True(update.Succeeded, SwarmStackFixture.Explain("update", update));
        Assert.Equal(SwarmStackFixture.WebInstances, after.Count);
        Assert.Empty(after.Select(task => task.TaskId).Intersect(before.Select(task => task.TaskId)));
        Assert.All(requests, request => Assert.True(request.Succeeded, $"failed: {request}"));
        load.AssertEveryAcknowledgedPostStored(await stack.Database.PostIdsTitledAsync(load.PostMarker));
    }

    [Fact]
    public async Task Posts_written_before_MySQL_is_restarted_are_there_after_it()
    {
        var title = $"Before MySQL restarted {Guid.NewGuid():N}";
        var mysql = stack.ServiceName("mysql");
        using var site = stack.CreateSiteClient();
        using var written = await site.SubmitFormAsync("/posts/new", PostForm.Fields("swarm", title, "kept on MySQL's volume"));
        var id = PostForm.WrittenPostId(written);
        var before = Assert.Single(await SwarmEngine.HealthyTasksAsync(mysql));

        await SwarmEngine.RestartServiceAsync(mysql);
        await SwarmEngine.WaitForHealthyTasksAsync(mysql, tasks => tasks.Count == 1 && tasks[0].TaskId != before.TaskId, ReplacementTimeout);
        // The app finds the new server by itself: nothing else is restarted.
        var (status, _) = await site.WaitForStatusAsync($"/posts/{id}", HttpStatusCode.OK, TimeSpan.FromMinutes(1));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(title, (await site.GetHtmlAsync($"/posts/{id}")).QuerySelector("article h1")?.TextContent);
        Assert.Equal([id], await stack.Database.PostIdsTitledAsync(title));
        // A restart of MySQL is an outage of the database (README), whose tail a web task may still answer with a 503
        // (once, in one CI run): the next test starts on a stack that answers every page again.
        Assert.True(await AnswersSteadilyAsync(site, "/fortunes", TimeSpan.FromMinutes(1)), "/fortunes did not answer 30 times in a row within a minute of MySQL's restart");
    }

    // True once `path` answers 200 thirty times in a row (ten for each web task, whichever nginx picks).
    private static async Task<bool> AnswersSteadilyAsync(HttpClient site, string path, TimeSpan timeout)
    {
        var inARow = 0;
        return await Poll.UntilAsync(async () =>
        {
            using var response = await site.GetAsync(path);
            inARow = response.StatusCode == HttpStatusCode.OK ? inARow + 1 : 0;
            return inARow >= 30;
        }, steady => steady, timeout, TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Https_is_answered_with_a_certificate_of_the_local_authority_and_http_redirects_there_keeping_path_and_query()
    {
        // The certificate as a visitor's client checks it (no callback), for each name the site answers to.
        using var served = await LocalAuthority.ServedCertificateAsync(stack.SiteAddress.Port, "www.foobar.com");
        using var bare = await LocalAuthority.ServedCertificateAsync(stack.SiteAddress.Port, "foobar.com");
        using var root = X509CertificateLoader.LoadCertificateFromFile(LocalAuthority.RootFile);
        using var chain = LocalAuthority.Chain(served, root);
        using var http = SiteClient.Create(stack.SiteHttpAddress, "www.foobar.com");
        using var redirect = await http.GetAsync("/posts?page=2&sort=new");
        using var health = await http.GetAsync("/nginx/health");
        using var site = stack.CreateSiteClient();
        using var page = await site.GetAsync("/");

        Assert.Empty(chain.ChainStatus.Select(s => s.StatusInformation));
        Assert.Equal(root.Thumbprint, chain.ChainElements[^1].Certificate.Thumbprint);
        Assert.Equal(served.Thumbprint, bare.Thumbprint);
        Assert.False(served.HasPrivateKey);
        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        Assert.Equal(new Uri($"https://www.foobar.com:{stack.SiteAddress.Port}/posts?page=2&sort=new"), redirect.Headers.Location);
        // nginx's own health endpoint, which the task's health check uses, stays plain HTTP.
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(["max-age=31536000"], page.Headers.GetValues("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Forged_forwarded_headers_change_nothing_the_app_knows_it_reads_nginxs_hop_from_the_stacks_network()
    {
        using var site = stack.CreateSiteClient();
        var subnet = System.Net.IPNetwork.Parse((await DockerEngine.RunAsync("network", "inspect", "--format",
            "{{range .IPAM.Config}}{{.Subnet}}{{end}}", $"{stack.StackName}_swarm")).Trim());

        var (_, forged) = await ForgedForwardedHeaders.AssertChangeNothingAsync(site);

        // The client as nginx saw it, as without the forged headers: not the claim, and not nginx's own address on the
        // stack's network (which the app would show if it did not read nginx's hop).
        var client = IPAddress.Parse(ForgedForwardedHeaders.Text(forged, ".journey-forwarded-for")!);
        output.WriteLine($"the client as nginx saw it: {client}; the stack's network {subnet}");
        Assert.NotEqual(IPAddress.Parse(ForgedForwardedHeaders.ClaimedAddress), client);
        Assert.False(subnet.Contains(client), $"{client} is in the stack's network {subnet}: the app did not read nginx's X-Forwarded-For");
    }

    [Fact, RunsLast]
    public async Task Down_leaves_no_service_container_secret_network_or_volume_of_the_stack_nor_a_swarm_the_run_created()
    {
        // Up, the check finds every kind of the stack's objects: so an empty answer after down means something.
        var up = await SwarmEngine.ObjectsOfStackAsync(stack.StackName);
        var down = await stack.DownAsync();
        var left = await SwarmEngine.ObjectsOfStackAsync(stack.StackName);
        var swarm = await SwarmEngine.LocalNodeStateAsync();

        output.WriteLine($"before down: {string.Join(", ", up)}");
        Assert.Equal(["container", "network", "secret", "service", "volume"], up.Select(o => o.Kind).Distinct().Order());
        Assert.True(down.Succeeded, SwarmStackFixture.Explain("down", down));
        Assert.Empty(left);
        // The script leaves a swarm that it made, and keeps one that was there before.
        Assert.Equal(stack.CreatedTheSwarm ? "inactive" : "active", swarm);
        if (stack.CreatedTheSwarm)
        {
            // Nor the bridge that joining a swarm makes for its tasks' outside traffic, which leaving it keeps.
            Assert.DoesNotContain("docker_gwbridge", (await DockerEngine.RunAsync("network", "ls", "--format", "{{.Name}}")).Split('\n'));
        }
    }
}
