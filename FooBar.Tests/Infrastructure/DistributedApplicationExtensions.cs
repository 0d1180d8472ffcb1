using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MySqlConnector;

namespace FooBar.Tests.Infrastructure;

public static class DistributedApplicationExtensions
{
    /// <summary>
    /// The connection string of a MySQL resource, its "localhost" pointed at 127.0.0.1: test traffic goes to loopback
    /// only, never to whatever "localhost" might resolve to. A cluster's nodes keep their own loopback addresses.
    /// </summary>
    public static async Task<MySqlConnectionStringBuilder> GetLoopbackMySqlConnectionStringAsync(this DistributedApplication app, string resourceName)
    {
        var connectionString = await app.GetConnectionStringAsync(resourceName)
            ?? throw new InvalidOperationException($"The {resourceName} resource has no connection string.");
        var builder = new MySqlConnectionStringBuilder(connectionString);
        builder.Server = string.Join(',', builder.Server.Split(',')
            .Select(host => host.Trim().Equals("localhost", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" : host.Trim()));
        return builder;
    }

    /// <summary>Runs one of a resource's commands (stop, start, restart, or its own) and fails the test if it fails.</summary>
    public static async Task ExecuteCommandAsync(this DistributedApplication app, string resourceName, string commandName)
    {
        var result = await app.ResourceCommands.ExecuteCommandAsync(app.Resource(resourceName), commandName);
        Assert.True(result.Success, $"{commandName} on {resourceName} failed: {result.Message}");
    }

    /// <summary>
    /// Stops a resource with its Stop command, leaves it stopped for <paramref name="downFor"/>, starts it again (also when
    /// the wait fails) and waits until it is healthy: a planned outage, as a person would cause one.
    /// </summary>
    public static async Task StopForAsync(this DistributedApplication app, string resourceName, TimeSpan downFor)
    {
        await app.ExecuteCommandAsync(resourceName, KnownResourceCommands.StopCommand);
        try
        {
            await Task.Delay(downFor);
        }
        finally
        {
            await app.ExecuteCommandAsync(resourceName, KnownResourceCommands.StartCommand);
        }
        await app.ResourceNotifications.WaitForResourceHealthyAsync(resourceName).WaitAsync(TimeSpan.FromMinutes(2));
    }

    /// <summary>
    /// The name of a container resource's current container. DCP keeps the name when a stop and start makes a new
    /// container; the snapshot's <c>container.id</c> may still name the old one.
    /// </summary>
    public static string ContainerName(this DistributedApplication app, string resourceName) =>
        app.ResourceNotifications.TryGetCurrentState(resourceName, out var state)
            ? state.ResourceId
            : throw new InvalidOperationException($"{resourceName} has no container.");

    /// <summary>The id of the process Aspire runs for the project <paramref name="resourceName"/>, from its resource snapshot.</summary>
    public static int ProcessId(this DistributedApplication app, string resourceName) =>
        app.ResourceNotifications.TryGetCurrentState(resourceName, out var state) && ProcessId(state.Snapshot) is { } pid
            ? pid
            : throw new InvalidOperationException($"{resourceName} has no running process.");

    /// <summary>The process id in a project's snapshot, or null while it has none (the liveness probe's reading of it).</summary>
    public static int? ProcessId(CustomResourceSnapshot snapshot) => ProjectLivenessExtensions.ProcessId(snapshot);

    /// <summary>
    /// Waits, a minute at most, until the dashboard shows <paramref name="resourceName"/>'s health as
    /// <paramref name="expected"/>; its health reports' lines then.
    /// </summary>
    public static async Task<string> HealthReportAsync(this DistributedApplication app, string resourceName, HealthStatus expected)
    {
        var resource = await app.ResourceNotifications.WaitForResourceAsync(resourceName, e => e.Snapshot.HealthStatus == expected)
            .WaitAsync(TimeSpan.FromSeconds(60));
        return string.Join("; ", resource.Snapshot.HealthReports.Select(report => report.Description));
    }

    /// <summary>Everything a resource has written to its console so far.</summary>
    public static async Task<List<string>> LogLinesAsync(this DistributedApplication app, string resourceName)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var lines = new List<string>();
                await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(app.Resource(resourceName)))
                {
                    lines.AddRange(batch.Select(line => line.Content));
                }
                return lines;
            }
            // A process that exited and was started again by its supervisor meanwhile is a new object of DCP's, and the
            // old one's logs are asked for by a name that is gone (404): asked again, they come from the new one's list.
            catch (Exception error) when (attempt < 3 && error.GetType().Name == "HttpOperationException" && error.Message.Contains("'NotFound'", StringComparison.Ordinal))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    /// <summary>The resource of the model named <paramref name="resourceName"/>.</summary>
    public static IResource Resource(this DistributedApplication app, string resourceName) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
}
