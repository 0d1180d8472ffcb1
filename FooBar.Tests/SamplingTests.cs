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
    // Both exporters send within a second or two; what has not arrived after this was not recorded.
    private static readonly TimeSpan ExportDelay = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task A_sampled_request_is_one_whole_trace_and_an_unsampled_one_leaves_no_span()
    {
        var (sampledId, unsampledId) = (TraceIds.NewTraceId(), TraceIds.NewTraceId());

        using var site = stack.CreateSiteClient();
        foreach (var (traceId, sampled) in new[] { (sampledId, true), (unsampledId, false) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.TryAddWithoutValidation("traceparent", TraceIds.Traceparent(traceId, sampled));
            using var response = await site.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var trace = await stack.Telemetry.WaitForAsync(() => stack.Telemetry.GetSpansAsync(sampledId), IsWhole);
        Assert.True(IsWhole(trace), $"the sampled trace is not whole: {string.Join("; ", trace)}");
        await Task.Delay(ExportDelay);
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

        await Task.Delay(ExportDelay);
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

    private static bool IsWhole(IReadOnlyList<Span> trace) =>
        trace.Any(s => s.Resource == "nginx" && s.Kind == Span.ServerKind)
        && trace.Any(s => s.Resource == "web" && s.Kind == Span.ServerKind)
        && trace.Any(s => s.Resource == "web" && s.Kind == Span.ClientKind);

}
