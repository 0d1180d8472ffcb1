using System.Text.Json;

namespace FooBar.Tests.Infrastructure;

/// <summary>One span as the dashboard stored it: its resource, its ids, its clocks and its attributes.</summary>
public sealed record Span(
    string Resource, string TraceId, string SpanId, string? ParentSpanId, string Name, int Kind,
    ulong StartUnixNano, ulong EndUnixNano, IReadOnlyDictionary<string, string> Attributes)
{
    public const int ServerKind = 2;
    public const int ClientKind = 3;

    public TimeSpan Duration => TimeSpan.FromTicks((long)(EndUnixNano - StartUnixNano) / 100);

    public override string ToString() =>
        $"{Resource}: {Name} (kind {Kind}, span {SpanId}, parent {ParentSpanId ?? "none"}, {Duration.TotalMilliseconds:0.###} ms)";
}

/// <summary>One structured log record as the dashboard stored it.</summary>
public sealed record LogRecord(string Resource, string? TraceId, string? SpanId, string Message);

/// <summary>
/// Reads what the Aspire dashboard received, through its telemetry HTTP API (OTLP JSON): the tests
/// check the very data a person sees in the Traces and Structured logs views.
/// </summary>
public sealed class DashboardTelemetry(HttpClient client)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public async Task<IReadOnlyList<Span>> GetSpansAsync(string? traceId = null, string? resource = null)
    {
        var query = new List<string> { "limit=10000" };
        if (traceId is not null) query.Add($"traceId={traceId}");
        if (resource is not null) query.Add($"resource={Uri.EscapeDataString(resource)}");

        using var response = await client.GetAsync($"/api/telemetry/spans?{string.Join('&', query)}");
        // A resource that has sent nothing yet is "not found".
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound && resource is not null)
        {
            return [];
        }
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        return ReadSpans(document.RootElement.GetProperty("data")).ToList();
    }

    public async Task<IReadOnlyList<LogRecord>> GetLogsAsync(string traceId)
    {
        using var response = await client.GetAsync($"/api/telemetry/logs?traceId={traceId}&limit=10000");
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        return ReadLogs(document.RootElement.GetProperty("data")).ToList();
    }

    /// <summary>Polls until <paramref name="done"/> holds for what was received, or the time is up; returns the last answer.</summary>
    public Task<IReadOnlyList<T>> WaitForAsync<T>(Func<Task<IReadOnlyList<T>>> read, Func<IReadOnlyList<T>, bool> done, TimeSpan? timeout = null) =>
        Poll.UntilAsync(read, done, timeout ?? TimeSpan.FromSeconds(30), PollInterval);

    private static IEnumerable<Span> ReadSpans(JsonElement data)
    {
        foreach (var resourceSpans in Array(data, "resourceSpans"))
        {
            var resource = ServiceName(resourceSpans);
            foreach (var scopeSpans in Array(resourceSpans, "scopeSpans"))
            {
                foreach (var span in Array(scopeSpans, "spans"))
                {
                    var parent = String(span, "parentSpanId");
                    yield return new Span(
                        resource,
                        String(span, "traceId")!,
                        String(span, "spanId")!,
                        string.IsNullOrEmpty(parent) ? null : parent,
                        String(span, "name") ?? "",
                        span.TryGetProperty("kind", out var kind) ? kind.GetInt32() : 0,
                        ulong.Parse(String(span, "startTimeUnixNano")!),
                        ulong.Parse(String(span, "endTimeUnixNano")!),
                        Attributes(span));
                }
            }
        }
    }

    private static IEnumerable<LogRecord> ReadLogs(JsonElement data)
    {
        foreach (var resourceLogs in Array(data, "resourceLogs"))
        {
            var resource = ServiceName(resourceLogs);
            foreach (var scopeLogs in Array(resourceLogs, "scopeLogs"))
            {
                foreach (var log in Array(scopeLogs, "logRecords"))
                {
                    var body = log.TryGetProperty("body", out var value) ? AnyValue(value) : "";
                    yield return new LogRecord(resource, String(log, "traceId"), String(log, "spanId"), body);
                }
            }
        }
    }

    private static string ServiceName(JsonElement resourceItem) =>
        resourceItem.TryGetProperty("resource", out var resource) && Attributes(resource).TryGetValue("service.name", out var name) ? name : "";

    private static Dictionary<string, string> Attributes(JsonElement owner) =>
        Array(owner, "attributes").ToDictionary(a => a.GetProperty("key").GetString()!, a => AnyValue(a.GetProperty("value")));

    // OTLP JSON's AnyValue: {"stringValue": "..."}, {"intValue": "200"} (int64 as a string or a number), ...
    private static string AnyValue(JsonElement value)
    {
        foreach (var property in value.EnumerateObject())
        {
            return property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }
        return "";
    }

    private static IEnumerable<JsonElement> Array(JsonElement owner, string name) =>
        owner.ValueKind == JsonValueKind.Object && owner.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray()
            : [];

    private static string? String(JsonElement owner, string name) =>
        owner.TryGetProperty(name, out var value) ? (value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()) : null;
}
