using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FooBar.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FooBar.Tests;

/// <summary>
/// Too much traffic is shed, not fatal: the app answers past its concurrency limit at once with a 503 and the site's
/// page, a busy instance is not taken for a hung one, and a client over its limits at nginx gets 429s while another
/// address is served. On a redundant stack of its own (two instances, one MySQL) with tiny limits: its nginx, in the
/// host's network, sees each client's address; the long floods are scripts/limits.sh --overload's, not the tests'.
/// </summary>
[Collection(OverloadCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class OverloadTests(OverloadStackFixture stack, ITestOutputHelper output)
{
    [Fact]
    public async Task Past_its_concurrency_limit_an_instance_answers_at_once_503_with_Retry_After_and_the_sites_busy_page_while_alive_answers()
    {
        using var web = stack.CreateWebClient();
        var (answers, alive) = await FloodAsync(web, concurrency: 40, TimeSpan.FromSeconds(3));

        output.WriteLine($"{answers.Count} answers: {string.Join(", ", answers.GroupBy(a => a.Status).Select(g => $"{(int)g.Key} ×{g.Count()}"))}; /alive answered {alive} times");
        Assert.True(answers.Count(a => a.Status == HttpStatusCode.OK) >= 10, "too few pages were served");
        var shed = answers.Where(a => a.Status == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(shed);
        Assert.All(shed, a => Assert.Equal(TimeSpan.FromSeconds(1), a.RetryAfter));
        Assert.All(shed, a => Assert.Equal("The site is busy", a.Heading));
        // Shed at once, not after waiting: the slowest 503 took well under nginx's 10 s time-out.
        Assert.True(shed.Max(a => a.Took) < TimeSpan.FromSeconds(2), $"the slowest 503 took {shed.Max(a => a.Took)}");
        Assert.True(alive >= 2, "/alive did not answer during the flood");
    }

    [Fact]
    public async Task A_busy_instance_survives_a_bounded_flood_longer_than_its_liveness_limit_and_keeps_answering()
    {
        var instance = stack.WebInstances[0];
        var pid = stack.App.ProcessId(instance);
        using var web = stack.CreateWebClient();

        // 8 s: longer than the 5 s after which the liveness probe ends a process that makes no progress.
        var (answers, alive) = await FloodAsync(web, concurrency: 100, TimeSpan.FromSeconds(8));

        output.WriteLine($"{answers.Count} answers, {answers.Count(a => a.Status == HttpStatusCode.OK)} pages; /alive answered {alive} times");
        Assert.True(answers.Count(a => a.Status == HttpStatusCode.OK) >= 50, "too few pages were served during the flood");
        Assert.True(alive >= 4, "/alive did not keep answering during the flood");
        Assert.Equal(pid, stack.App.ProcessId(instance));
        Assert.DoesNotContain(await stack.App.LogLinesAsync(instance), line => line.Contains($"Process {pid} made no progress"));
    }

    [Fact]
    public async Task A_client_over_its_request_rate_gets_429_with_Retry_After_and_the_sites_page_while_another_address_gets_200()
    {
        using var flooder = stack.CreateSiteClient();
        using var other = SourceAddressClient.Create(IPAddress.Parse("127.0.0.2"), stack.SiteAddress);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        // Bounded: 30 requests in a row, far above the stack's 5 a second with a burst of 5.
        for (var i = 0; i < 30; i++)
        {
            var response = await flooder.GetAsync("/posts");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && refused is null)
            {
                refused = response;
                continue;
            }
            response.Dispose();
        }
        using var otherAnswer = await other.GetAsync("/posts");

        output.WriteLine(string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{(int)g.Key} ×{g.Count()}")));
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 3, "the client's first requests, within its burst, were not served");
        Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) >= 10, "the client was not held to its rate");
        Assert.NotNull(refused);
        using (refused)
        {
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            Assert.Equal("Too many requests from your address", (await refused.ReadHtmlAsync()).QuerySelector("h1")?.TextContent);
        }
        Assert.Equal(HttpStatusCode.OK, otherAnswer.StatusCode);
    }

    private sealed record Answer(HttpStatusCode Status, TimeSpan Took, TimeSpan? RetryAfter, string? Heading);

    /// <summary>GET /posts on the instance's own endpoint from <paramref name="concurrency"/> loops for <paramref name="length"/>, and /alive beside them every 0.5 s.</summary>
    private static async Task<(List<Answer> Answers, int Alive)> FloodAsync(HttpClient web, int concurrency, TimeSpan length)
    {
        var answers = new System.Collections.Concurrent.ConcurrentBag<Answer>();
        using var over = new CancellationTokenSource(length);
        var loops = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (!over.IsCancellationRequested)
            {
                var clock = Stopwatch.StartNew();
                using var response = await web.GetAsync("/posts");
                var heading = response.StatusCode == HttpStatusCode.ServiceUnavailable ? (await response.ReadHtmlAsync()).QuerySelector("h1")?.TextContent : null;
                answers.Add(new Answer(response.StatusCode, clock.Elapsed, response.Headers.RetryAfter?.Delta, heading));
            }
        })).ToList();
        var alive = 0;
        using var probe = new HttpClient { BaseAddress = web.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        while (!over.IsCancellationRequested)
        {
            try
            {
                using var response = await probe.GetAsync("/alive");
                alive += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            }
            catch (TaskCanceledException)
            {
                // Not answered within 2 s: not counted.
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        await Task.WhenAll(loops);
        return ([.. answers], alive);
    }
}
