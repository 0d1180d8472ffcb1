using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FooBar.Hosting.MySql;

/// <summary>
/// A cluster's health: healthy while every node is synced, degraded while a majority is (the cluster reads and writes
/// but has lost its redundancy), unhealthy without a majority; its report says how many are and the cluster's size.
/// Each node has its own check (<see cref="MySqlClusterNodeReadyCheck"/>), so a node down shows there too, and what
/// waits for the cluster's databases or logins waits on their own query checks, not on this one.
/// </summary>
internal sealed class MySqlClusterHealthCheck(MySqlClusterStatus status, ResourceNotificationService notifications) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (synced, summary) = await status.RefreshAsync(notifications, cancellationToken);
        return Judge(synced, status.NodeCount, summary);
    }

    /// <summary>All <paramref name="nodes"/> synced: healthy; a majority: degraded; fewer: unhealthy (no quorum).</summary>
    internal static HealthCheckResult Judge(int synced, int nodes, string summary) =>
        synced >= nodes ? HealthCheckResult.Healthy(summary)
        : synced * 2 > nodes ? HealthCheckResult.Degraded(summary)
        : HealthCheckResult.Unhealthy(summary);
}
