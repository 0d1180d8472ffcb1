using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FooBar.Hosting.MySql;

/// <summary>
/// A cluster's health: healthy while at least one node is synced, for then the cluster reads and writes; its report says
/// how many are and the cluster's size. Each node has its own check (<see cref="MySqlClusterNodeReadyCheck"/>), so a node
/// down shows there, while what waits for the cluster's databases is not held up by it.
/// </summary>
internal sealed class MySqlClusterHealthCheck(MySqlClusterStatus status, ResourceNotificationService notifications) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (synced, summary) = await status.RefreshAsync(notifications, cancellationToken);
        return synced > 0 ? HealthCheckResult.Healthy(summary) : HealthCheckResult.Unhealthy(summary);
    }
}
