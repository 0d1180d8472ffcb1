using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FooBar.Hosting.Processes;

/// <summary>
/// A group's health from its members' own, as their checks last reported it (nothing is asked again): all healthy,
/// healthy; some, degraded; none, unhealthy. The report names the members that are not.
/// </summary>
internal sealed class InstanceGroupHealthCheck(InstanceGroupResource group, ResourceNotificationService notifications) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = new List<string>();
        foreach (var member in group.Members)
        {
            var snapshot = notifications.TryGetCurrentState(member.Name, out var current) ? current.Snapshot : null;
            if (snapshot?.State?.Text != KnownResourceStates.Running || snapshot.HealthStatus != HealthStatus.Healthy)
            {
                missing.Add($"{member.Name} {Why(snapshot)}");
            }
        }
        return Task.FromResult(Judge(group.Members.Count - missing.Count, group.Members.Count, group.Noun, missing));
    }

    // Its state when it is not running (Exited, Starting …), else its health (Unhealthy).
    private static string Why(CustomResourceSnapshot? snapshot) =>
        snapshot?.State?.Text is { Length: > 0 } state && state != KnownResourceStates.Running ? state
        : snapshot?.HealthStatus?.ToString() ?? "not started";

    /// <summary>All <paramref name="count"/> answer: healthy; some: degraded; none: unhealthy; with a line that says which do not.</summary>
    internal static HealthCheckResult Judge(int answering, int count, string noun, IReadOnlyList<string> missing)
    {
        var summary = $"{answering} of {count} {noun}s healthy" + (missing.Count > 0 ? $"; not: {string.Join(", ", missing)}" : "");
        return answering >= count ? HealthCheckResult.Healthy(summary)
            : answering > 0 ? HealthCheckResult.Degraded(summary)
            : HealthCheckResult.Unhealthy(summary);
    }
}
