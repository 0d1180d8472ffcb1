using Microsoft.Extensions.Diagnostics.HealthChecks;
using MySqlConnector;

namespace FooBar.Hosting.MySql;

/// <summary>
/// The AppHost's health check of a MySQL resource (server, database or login): healthy once MySQL answers a query on
/// the resource's own connection string, so that <c>WaitFor</c> means "accepting queries" rather than "container started".
/// </summary>
internal sealed class MySqlResourceHealthCheck(Func<string?> connectionString) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (connectionString() is not { } value)
        {
            return HealthCheckResult.Unhealthy("The connection string is not known yet.");
        }

        try
        {
            await using var connection = new MySqlConnection(value);
            await connection.OpenAsync(cancellationToken);
            await using var command = new MySqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is MySqlException or InvalidOperationException)
        {
            // The message is enough: while the server boots this is expected, and a stack trace per probe is noise.
            return HealthCheckResult.Unhealthy($"MySQL does not accept queries yet: {ex.Message}");
        }
    }
}
