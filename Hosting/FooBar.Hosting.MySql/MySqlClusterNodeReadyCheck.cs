using FooBar.Hosting.Processes;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FooBar.Hosting.MySql;

/// <summary>
/// A cluster node's health: the image's own <c>node-ready</c>, run in the container, which is green only when the node
/// accepts connections, is ready (<c>wsrep_ready=ON</c>) and synced (<c>wsrep_local_state=4</c>). It needs no password:
/// the node reads its status over its socket as the mysql user.
/// </summary>
internal sealed class MySqlClusterNodeReadyCheck(Func<string?> container) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (container() is not { } name)
        {
            return HealthCheckResult.Unhealthy("The node's container is not running yet.");
        }
        var (exitCode, output) = await DockerCli.RunAsync(["exec", name, "node-ready"], cancellationToken);
        // node-ready's one line says what it saw (ready, state, cluster size): the dashboard shows it either way.
        return exitCode == 0 ? HealthCheckResult.Healthy(output.Trim()) : HealthCheckResult.Unhealthy(output.Trim());
    }
}
