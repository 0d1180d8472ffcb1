using System.Net;
using System.Text.Json;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// Every hop of a request is one trace in the dashboard: nginx's server span, the app's server span
/// under it and MySqlConnector's client span under that, with the app's logs linked to the trace.
/// </summary>
[Collection(StackCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class TracingTests(StackFixture stack)
{
    private DashboardTelemetry Telemetry => stack.Telemetry;

    [Fact]
    public async Task Page_from_MySQL_is_one_trace_nginx_then_web_then_MySQL()
    {
        var (traceId, clientSpanId) = (TraceIds.NewTraceId(), TraceIds.NewSpanId());

        using var response = await GetAsync("/", $"00-{traceId}-{clientSpanId}-01");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var spans = await Telemetry.WaitForAsync(() => Telemetry.GetSpansAsync(traceId),
            s => s.Any(IsNginx) && s.Any(IsWebServer) && s.Any(IsMySqlQuery));
        var nginx = Assert.Single(spans, IsNginx);
        var web = Assert.Single(spans, IsWebServer);
        var query = Assert.Single(spans, s => IsMySqlQuery(s) && s.Attributes.GetValueOrDefault("db.statement", "").Contains("FROM posts"));

        // nginx continued the client's trace, and each hop is the child of the one before.
        Assert.Equal(clientSpanId, nginx.ParentSpanId);
        Assert.Equal(nginx.SpanId, web.ParentSpanId);
        Assert.Equal(web.SpanId, query.ParentSpanId);
        Assert.All(spans, s => Assert.Equal(traceId, s.TraceId));

        Assert.Equal("GET", nginx.Attributes["http.request.method"]);
        Assert.Equal("www.foobar.com", nginx.Attributes["server.address"]);
        Assert.Equal("/", nginx.Attributes["url.path"]);
        Assert.Equal("200", nginx.Attributes["http.response.status_code"]);
        Assert.True(double.Parse(nginx.Attributes["nginx.upstream.response_time"]) > 0, "nginx reported no upstream time");

        // nginx's span covers the app's: it received the request first and sent the answer last.
        Assert.True(nginx.StartUnixNano <= web.StartUnixNano, $"nginx started after the app: {nginx} / {web}");
        // The app ends its span only after its answer is flushed, so on busy cores nginx may log first: by 5 ms at most.
        Assert.True(nginx.EndUnixNano + 5_000_000 >= web.EndUnixNano, $"nginx ended well before the app: {nginx} / {web}");
        Assert.True(nginx.Duration >= web.Duration, $"nginx's span is shorter than the app's: {nginx} / {web}");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")] // an all-zero trace id is invalid
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01")] // ids are lowercase hex
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")] // version 00 has four fields
    [InlineData("not a traceparent")]
    public async Task Request_without_a_valid_trace_context_gets_a_new_trace_started_by_nginx(string? traceparent)
    {
        var marker = $"fresh={Guid.NewGuid():N}";

        using var response = await GetAsync($"/?{marker}", traceparent);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var nginxSpans = await Telemetry.WaitForAsync(() => Telemetry.GetSpansAsync(resource: "nginx"),
            s => s.Any(span => HasQuery(span, marker)));
        var nginx = Assert.Single(nginxSpans, span => HasQuery(span, marker));

        // nginx is the root, and its request id (32 random hex digits) is the trace id.
        Assert.Null(nginx.ParentSpanId);
        Assert.Equal(nginx.Attributes["nginx.request_id"], nginx.TraceId);
        var trace = await Telemetry.WaitForAsync(() => Telemetry.GetSpansAsync(nginx.TraceId), s => s.Any(IsWebServer));
        Assert.Equal(nginx.SpanId, Assert.Single(trace, IsWebServer).ParentSpanId);
    }

    [Fact]
    public async Task Static_file_is_an_nginx_span_alone()
    {
        var (traceId, fenceId) = (TraceIds.NewTraceId(), TraceIds.NewTraceId());

        using var response = await GetAsync("/css/site.css", TraceIds.Traceparent(traceId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var spans = await Telemetry.WaitForAsync(() => Telemetry.GetSpansAsync(traceId), s => s.Any(IsNginx));
        var nginx = Assert.Single(spans, IsNginx);
        Assert.Equal("/css/site.css", nginx.Attributes["url.path"]);
        Assert.Equal("200", nginx.Attributes["http.response.status_code"]);
        Assert.False(nginx.Attributes.ContainsKey("nginx.upstream.address"), "nginx reported an upstream for a file it sent itself");

        // A page after it: the app exports its spans in order, so once the page's arrived, any span of the file's would have.
        using var page = await GetAsync("/", TraceIds.Traceparent(fenceId));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(await Telemetry.WaitForAsync(() => Telemetry.GetSpansAsync(fenceId), s => s.Any(IsWebServer)), IsWebServer);
        Assert.DoesNotContain(await Telemetry.GetSpansAsync(traceId), s => !IsNginx(s));
    }

    [Fact]
    public async Task Logs_written_while_handling_a_request_carry_its_trace_id()
    {
        var traceId = TraceIds.NewTraceId();

        using var response = await GetAsync("/", TraceIds.Traceparent(traceId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var logs = await Telemetry.WaitForAsync(() => Telemetry.GetLogsAsync(traceId),
            l => l.Any(log => log.Message.Contains("posts for the front page")));
        var log = Assert.Single(logs, log => log.Message.Contains("posts for the front page"));
        Assert.Equal("web", log.Resource);
        Assert.Equal(traceId, log.TraceId);
        // The line belongs to the app's server span of this very request.
        var spans = await Telemetry.WaitForAsync(() => Telemetry.GetSpansAsync(traceId), s => s.Any(IsWebServer));
        Assert.Equal(Assert.Single(spans, IsWebServer).SpanId, log.SpanId);
    }

    [Fact]
    public async Task Access_log_is_one_JSON_object_per_request_with_the_trace_id()
    {
        var traceId = TraceIds.NewTraceId();

        using var response = await GetAsync("/", TraceIds.Traceparent(traceId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var line = await WaitForNginxLogLineAsync(traceId);
        using var entry = JsonDocument.Parse(line);
        var root = entry.RootElement;
        Assert.Equal(traceId, root.GetProperty("trace_id").GetString());
        Assert.Matches("^[0-9a-f]{32}$", root.GetProperty("request_id").GetString());
        Assert.Matches("^[0-9a-f]{16}$", root.GetProperty("span_id").GetString());
        Assert.Equal("www.foobar.com", root.GetProperty("host").GetString());
        Assert.Equal(200, root.GetProperty("status").GetInt32());
        Assert.True(root.GetProperty("body_bytes_sent").GetInt64() > 0);
        Assert.True(root.GetProperty("request_time").GetDouble() >= 0);
        Assert.Matches(@"^\d+\.\d{3}$", root.GetProperty("upstream_response_time").GetString());

        // The span nginx exported and the line it logged are the same request.
        var spans = await Telemetry.WaitForAsync(() => Telemetry.GetSpansAsync(traceId), s => s.Any(IsNginx));
        var nginx = Assert.Single(spans, IsNginx);
        Assert.Equal(nginx.SpanId, root.GetProperty("span_id").GetString());
        Assert.Equal(nginx.Attributes["nginx.request_id"], root.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task Reload_command_reloads_nginx_and_the_site_keeps_answering()
    {
        var result = await stack.App.ResourceCommands.ExecuteCommandAsync("nginx", NginxCommandExtensions.ReloadCommandName);

        Assert.True(result.Success, result.Message);
        using var response = await GetAsync("/css/site.css", traceparent: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string? traceparent)
    {
        using var site = stack.CreateSiteClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (traceparent is not null)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceparent);
        }
        return await site.SendAsync(request);
    }

    private async Task<string> WaitForNginxLogLineAsync(string traceId)
    {
        var logs = stack.App.Services.GetRequiredService<ResourceLoggerService>();
        var nginx = stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "nginx");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // WatchAsync replays what was written so far, then follows.
        await foreach (var batch in logs.WatchAsync(nginx).WithCancellation(timeout.Token))
        {
            if (batch.Select(l => l.Content).FirstOrDefault(c => c?.Contains($"\"trace_id\":\"{traceId}\"") == true) is { } line)
            {
                // A console line may carry the runtime's timestamp before the JSON object.
                return line[line.IndexOf('{')..];
            }
        }
        throw new InvalidOperationException("nginx's log ended without the request.");
    }

    private static bool IsNginx(Span span) => span.Resource == "nginx" && span.Kind == Span.ServerKind;

    private static bool IsWebServer(Span span) => span.Resource == "web" && span.Kind == Span.ServerKind;

    private static bool IsMySqlQuery(Span span) =>
        span.Resource == "web" && span.Kind == Span.ClientKind
        && (span.Attributes.GetValueOrDefault("db.system") == "mysql" || span.Attributes.GetValueOrDefault("db.system.name") == "mysql");

    private static bool HasQuery(Span span, string query) => span.Attributes.GetValueOrDefault("url.query") == query;
}
