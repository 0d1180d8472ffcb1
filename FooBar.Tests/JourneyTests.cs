using System.Net;
using System.Net.Http.Headers;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>/journey shows this request's own data, as nginx and the app saw it.</summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class JourneyTests(StackFixture stack)
{
    [Fact]
    public async Task Journey_shows_what_nginx_and_the_app_saw_of_this_request()
    {
        using var site = stack.CreateSiteClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/journey?from=test");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("FooBarTests", "1.0"));

        using var response = await site.SendAsync(request);
        var page = await response.ReadHtmlAsync();
        string? Text(string selector) => page.QuerySelector(selector)?.TextContent.Trim();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("www.foobar.com", Text(".journey-host"));
        Assert.Equal("GET /journey?from=test", Text(".journey-request"));
        Assert.Equal("https", Text(".journey-scheme"));
        Assert.Equal("FooBarTests/1.0", Text(".journey-user-agent"));
        // The page shows the client's claim as such beside the address nginx saw (which one the app trusts is
        // HostsAndRoutingTests' subject).
        Assert.Equal("203.0.113.7", Text(".journey-claimed-for"));
        Assert.True(IPAddress.TryParse(Text(".journey-forwarded-for"), out _), Text(".journey-forwarded-for"));
        // nginx's request id is 32 hex characters; the time nginx received it is close to now.
        Assert.Matches("^[0-9a-f]{32}$", Text(".journey-request-id"));
        var nginxTime = DateTimeOffset.Parse(Text(".journey-nginx-time")!.Replace(" UTC", "Z"));
        Assert.InRange(nginxTime, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        // Without a traceparent from the client, nginx starts the trace with its request id as the trace id.
        Assert.Equal(Text(".journey-request-id"), Text(".journey-trace-id"));
        Assert.Equal("(nginx started this trace: its id is nginx's request id)", Text(".journey-trace-origin"));
        Assert.Contains("SELECT", Text(".journey-sql"));
        Assert.Matches(@"^\d+\.\d ms$", Text(".journey-db-time"));
    }

    [Fact]
    public async Task Journey_shows_the_requests_trace_id_and_links_it_to_the_dashboard()
    {
        // A caller that already traces (W3C traceparent) sees its own trace continued.
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        using var site = stack.CreateSiteClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/journey");
        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()))}-01");

        using var response = await site.SendAsync(request);
        var page = await response.ReadHtmlAsync();

        Assert.Equal(traceId, page.QuerySelector(".journey-trace-id")?.TextContent);
        Assert.Equal("(nginx continued the trace your client started)", page.QuerySelector(".journey-trace-origin")?.TextContent);
        var link = page.QuerySelector(".journey-trace-link")?.GetAttribute("href");
        Assert.NotNull(link);
        Assert.EndsWith($"/traces/detail/{traceId}", link);
    }
}
