using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// nginx's figures on the dashboard beside the app's: the door's exporter (nginx-exporter) reads nginx's stub_status and
/// its own counters on a loopback-only port, and the bridge files them under the nginx resource's name; what the
/// dashboard took is shown on the exporter's resource (the dashboard's telemetry API serves spans and logs, not
/// metrics). A known number of pages moves the request counts by that number, give or take the probes.
/// </summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class NginxMetricsTests(StackFixture stack)
{
    private const int Pages = 300;
    // Probes and the exporter's own scrapes, which stub_status counts too, over the few seconds of the test.
    private const double ProbeSlack = 0.05;

    [Fact]
    public async Task A_known_number_of_pages_moves_nginxs_request_counts_by_that_number_under_its_name()
    {
        var before = await ExportedMetrics.FreshAsync(stack.App, "nginx-exporter");
        Assert.True(before.ContainsKey("nginx.requests"), $"nginx-exporter: no figures in its last export: {string.Join(' ', before.Keys)}");
        Assert.Equal(1, before["nginx.up"]);
        Assert.True(stack.App.ResourceNotifications.TryGetCurrentState("nginx", out var nginx));
        Assert.Equal($"nginx {nginx.ResourceId}", ExportedMetrics.Service(stack.App, "nginx-exporter"));

        using var site = stack.CreateSiteClient();
        var answered = 0;
        for (var i = 0; i < Pages; i++)
        {
            using var response = await site.GetAsync("/fortunes");
            answered += response.IsSuccessStatusCode ? 1 : 0;
        }
        Assert.Equal(Pages, answered);

        string[] moved = ["nginx.requests", "nginx.http.responses[2xx]", "nginx.upstream.response_time.count"];
        var after = await ExportedMetrics.UntilAsync(stack.App, "nginx-exporter",
            figures => moved.All(name => figures.GetValueOrDefault(name) >= before.GetValueOrDefault(name) + Pages)
                && SpansAccountedFor(figures) >= SpansAccountedFor(before) + Pages);
        foreach (var name in moved)
        {
            Assert.True(after.ContainsKey(name), $"{name}: not exported");
            var delta = after[name] - before[name];
            Assert.True(delta >= Pages && delta <= Pages * (1 + ProbeSlack),
                $"{name} moved by {delta} for {Pages} pages; before: {Figures(before)}; after: {Figures(after)}");
        }
        // Every page's span is counted once it has left the queue: sent, or dropped with its reason (the collector's
        // pace on a busy machine decides which, TracingTests how many are sent).
        Assert.InRange(SpansAccountedFor(after) - SpansAccountedFor(before), Pages, Pages * (1 + ProbeSlack));
        // Every page went to the app and took it some time; none was an error.
        Assert.True(after["nginx.upstream.response_time.sum"] > before["nginx.upstream.response_time.sum"]);
        Assert.Equal(before["nginx.http.responses[5xx]"], after["nginx.http.responses[5xx]"]);
        Assert.Equal(after["nginx.upstream.response_time.count"], after["nginx.upstream.response_time.bucket[+Inf]"]);
        // The connection gauges: at least the exporter's own scrape is open while stub_status answers it.
        Assert.True(after["nginx.connections.active"] >= 1, $"active connections: {after["nginx.connections.active"]}");
        Assert.All(["nginx.connections.reading", "nginx.connections.writing", "nginx.connections.waiting"], name => Assert.True(after.ContainsKey(name), $"{name}: not exported"));
        Assert.True(after["nginx.connections.accepted"] > before["nginx.connections.accepted"]);
        Assert.Equal(after["nginx.connections.accepted"], after["nginx.connections.handled"]);
    }

    private static string Figures(Dictionary<string, double> figures) =>
        string.Join(' ', figures.Where(f => f.Key.StartsWith("nginx.", StringComparison.Ordinal)).Select(f => $"{f.Key}={f.Value}"));

    private static double SpansAccountedFor(Dictionary<string, double> figures) =>
        figures.GetValueOrDefault("nginx.spans.exported") + figures.GetValueOrDefault("nginx.spans.dropped[queue_full]")
        + figures.GetValueOrDefault("nginx.spans.dropped[export_failed]");
}
