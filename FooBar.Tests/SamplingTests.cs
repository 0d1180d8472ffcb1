using System.Net;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// The production profile traces a share of requests, and a trace is whole or absent: nginx decides (or follows
/// the caller's decision) and the app follows nginx. Runs on the second stack, which uses that profile.
/// </summary>
[Collection(OutageCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class SamplingTests(OutageStackFixture stack)
{
    [Fact]
    public async Task A_sampled_request_is_one_whole_trace_and_an_unsampled_one_leaves_no_span()
    {
        var (sampledId, unsampledId) = (TraceIds.NewTraceId(), TraceIds.NewTraceId());

        // The unsampled request first: once the sampled one's whole trace has arrived, so would have any span of it.
        using var site = stack.CreateSiteClient();
        foreach (var (traceId, sampled) in new[] { (unsampledId, false), (sampledId, true) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.TryAddWithoutValidation("traceparent", TraceIds.Traceparent(traceId, sampled));
            using var response = await site.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var trace = await stack.Telemetry.WaitForAsync(() => stack.Telemetry.GetSpansAsync(sampledId), IsWhole);
        Assert.True(IsWhole(trace), $"the sampled trace is not whole: {string.Join("; ", trace)}");
        Assert.Empty(await stack.Telemetry.GetSpansAsync(unsampledId));
    }

    [Fact]
    public async Task Nginx_samples_requests_without_a_trace_context_at_the_configured_ratio_and_each_trace_is_whole_or_absent()
    {
        const int requests = 40;
        using var site = stack.CreateSiteClient();
        var traceIds = new List<string>();
        for (var i = 0; i < requests; i++)
        {
            using var response = await site.GetAsync("/journey");
            var page = await response.ReadHtmlAsync();
            traceIds.Add(page.QuerySelector(".journey-trace-id")?.TextContent ?? throw new InvalidOperationException("/journey shows no trace id"));
        }

        var fence = await FenceAsync(site);
        Assert.True(IsWhole(fence), $"the sampled request sent after the others is not whole: {string.Join("; ", fence)}");
        var traces = new Dictionary<string, IReadOnlyList<Span>>();
        foreach (var traceId in traceIds)
        {
            traces[traceId] = await stack.Telemetry.GetSpansAsync(traceId);
        }

        Assert.All(traces, t => Assert.True(t.Value.Count == 0 || IsWhole(t.Value), $"trace {t.Key} is partial: {string.Join("; ", t.Value)}"));
        var recorded = traces.Count(t => t.Value.Count > 0);
        // At a ratio of 0.5, fewer than 8 or more than 32 of 40 happens about once in 10,000 runs.
        Assert.InRange(recorded, 8, 32);
    }

    // A sampled request after the others, on the same connection, and its whole trace once it has arrived: the
    // connection's one nginx worker and the one app export their spans in order, so what came before has arrived too.
    private async Task<IReadOnlyList<Span>> FenceAsync(HttpClient site)
    {
        var traceId = TraceIds.NewTraceId();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("traceparent", TraceIds.Traceparent(traceId, sampled: true));
        using var response = await site.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await stack.Telemetry.WaitForAsync(() => stack.Telemetry.GetSpansAsync(traceId), IsWhole);
    }

    private static bool IsWhole(IReadOnlyList<Span> trace) =>
        trace.Any(s => s.Resource == "nginx" && s.Kind == Span.ServerKind)
        && trace.Any(s => s.Resource == "web" && s.Kind == Span.ServerKind)
        && trace.Any(s => s.Resource == "web" && s.Kind == Span.ClientKind);
}
