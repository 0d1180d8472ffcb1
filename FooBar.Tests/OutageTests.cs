using System.Diagnostics;
using System.Net;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// The single server's failure modes, on a stack of their own: with MySQL down the pages that need it say
/// so quickly, with the app down nginx says so itself, and static files are served throughout.
/// </summary>
[Collection(OutageCollection.Name)]
public sealed class OutageTests(OutageStackFixture stack)
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
}
