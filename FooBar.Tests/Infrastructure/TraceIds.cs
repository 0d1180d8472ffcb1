using System.Security.Cryptography;

namespace FooBar.Tests.Infrastructure;

/// <summary>W3C trace context ids a test makes up, so it can find its own request's trace.</summary>
public static class TraceIds
{
    public static string NewTraceId() => RandomHex(16);

    public static string NewSpanId() => RandomHex(8);

    /// <summary>A <c>traceparent</c> header value: version 00, the sampled flag as asked.</summary>
    public static string Traceparent(string traceId, bool sampled = true) => $"00-{traceId}-{NewSpanId()}-{(sampled ? "01" : "00")}";

    private static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}
