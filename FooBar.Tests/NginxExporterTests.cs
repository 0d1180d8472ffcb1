using FooBar.Hosting.Processes;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// nginx's trace exporter (nginx/lua/otel/): traceparent parsing, head sampling, the bounded queue and its
/// drop counters, retrying a failed batch, the OTEL_* settings and span building, checked by its LuaJIT unit tests, and
/// nginx's metrics page (nginx/lua/metrics.lua) read as the bridge reads it; with no nginx and no Docker.
/// </summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class NginxExporterTests
{
    [Fact]
    public async Task The_exporter_unit_tests_pass_under_LuaJIT()
    {
        var runner = Path.Combine(Repository.Root, "nginx", "lua", "test", "run.lua");

        var (exitCode, output) = await HostProgram.RunAsync("luajit", [runner], CancellationToken.None, TimeSpan.FromSeconds(60),
            whenMissing: "LuaJIT runs the nginx exporter's unit tests: run scripts/setup.sh --tests (or apt-get install luajit)");

        Assert.True(exitCode == 0, $"The nginx exporter's Lua tests failed (luajit {runner} exited with {exitCode}):\n{output}");
        // The runner ends with "N passed, 0 failed"; zero tests run would be a broken runner, not a pass.
        Assert.Matches(@"(?m)^[1-9]\d* passed, 0 failed$", output);
    }

    [Fact]
    public async Task Every_figure_the_bridge_reads_from_nginxs_own_page_is_on_the_page_lua_writes()
    {
        // nginx/lua/metrics.lua's page after a 200 with an upstream, a 502, a static file and a span exported and dropped.
        const string Script = """
            local metrics = require "metrics"
            local values = {}
            local dict = {
              get = function(_, key) return values[key] end,
              incr = function(_, key, value, init) values[key] = (values[key] or init) + value end,
            }
            metrics.record(dict, 200, "0.004")
            metrics.record(dict, 502, "-")
            metrics.record(dict, 304, nil)
            metrics.publish_spans(dict, { exported = 1, dropped_queue_full = 1, dropped_export_failed = 0 }, {})
            io.write(metrics.render(dict))
            """;
        var lua = Path.Combine(Repository.Root, "nginx", "lua");

        var (exitCode, page) = await HostProgram.RunAsync("luajit", ["-e", $"package.path = '{lua}/?.lua;' .. package.path", "-e", Script],
            CancellationToken.None, TimeSpan.FromSeconds(30), whenMissing: "LuaJIT renders nginx's metrics page: run scripts/setup.sh --tests (or apt-get install luajit)");

        Assert.True(exitCode == 0, $"luajit exited with {exitCode}:\n{page}");
        var scrape = PrometheusText.Parse(page);
        var own = NginxMetricsExtensions.Metrics.Where(m => m.Name is "nginx.http.responses" || m.Name.StartsWith("nginx.upstream.", StringComparison.Ordinal)
            || m.Name.StartsWith("nginx.spans.", StringComparison.Ordinal)).ToList();
        Assert.Equal(5 + NginxMetricsExtensions.UpstreamBuckets.Length + 2 + 1 + 2, own.Count);
        Assert.All(own, m => Assert.True(m.Read(scrape) is not null, $"{m.Name} {string.Join(",", m.Tags.Select(t => t.Value))}: not on the page\n{page}"));
        double Figure(string name, string? tag = null) => own.Single(m => m.Name == name && (tag is null || Equals(m.Tags.Single().Value, tag))).Read(scrape)!.Value;
        Assert.Equal((1, 1, 1), (Figure("nginx.http.responses", "2xx"), Figure("nginx.http.responses", "3xx"), Figure("nginx.http.responses", "5xx")));
        Assert.Equal((0, 1, 1), (Figure("nginx.upstream.response_time.bucket", "0.0025"), Figure("nginx.upstream.response_time.bucket", "0.005"), Figure("nginx.upstream.response_time.count")));
        Assert.Equal((1, 1), (Figure("nginx.spans.exported"), Figure("nginx.spans.dropped", "queue_full")));
    }
}
