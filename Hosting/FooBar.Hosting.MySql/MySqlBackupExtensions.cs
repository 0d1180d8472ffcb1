using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FooBar.Hosting;

/// <summary>
/// The dashboard's backup command for a MySQL server or cluster, and a schedule: a program of the AppHost's choosing backs
/// up the server's running container, or a cluster's last node that is synced (the app writes to the first that answers).
/// </summary>
public static class MySqlBackupExtensions
{
    /// <summary>The name of the command <see cref="WithBackupCommand(IResourceBuilder{MySqlServerResource}, string, IReadOnlyList{string}, TimeSpan?)"/> adds.</summary>
    public const string BackupCommandName = "backup";

    /// <summary>
    /// Adds a "Back up" command to the dashboard: runs <paramref name="program"/> with <paramref name="arguments"/> and
    /// <c>--container</c> and the server's running container, and writes what it printed into the server's log.
    /// </summary>
    /// <remarks>
    /// The backup itself stays the program's (FooBar's is <c>scripts/db.sh backup</c>, which streams <c>mariadb-backup</c>
    /// into a folder with a manifest), so that the command line and the dashboard make the same backup.
    /// </remarks>
    /// <param name="builder">The server's resource builder.</param>
    /// <param name="program">The program that makes the backup.</param>
    /// <param name="arguments">Its arguments, before <c>--container NAME</c>.</param>
    /// <param name="timeout">How long a backup may take; 30 minutes when null.</param>
    /// <returns>The server's resource builder.</returns>
    public static IResourceBuilder<MySqlServerResource> WithBackupCommand(this IResourceBuilder<MySqlServerResource> builder,
        string program, IReadOnlyList<string> arguments, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithBackupCommand(ServerContainer(builder.Resource), "MySQL is not running.", program, arguments, timeout);
    }

    /// <summary>
    /// Adds a "Back up" command to the cluster in the dashboard: runs <paramref name="program"/> with
    /// <paramref name="arguments"/> and <c>--container</c> and the container of the cluster's last node that runs and is
    /// synced, and writes what it printed into the cluster's log.
    /// </summary>
    /// <remarks>The program is given a node, not the cluster: FooBar's desyncs that node while it copies it.</remarks>
    /// <param name="builder">The cluster's resource builder.</param>
    /// <param name="program">The program that makes the backup.</param>
    /// <param name="arguments">Its arguments, before <c>--container NAME</c>.</param>
    /// <param name="timeout">How long a backup may take; 30 minutes when null.</param>
    /// <returns>The cluster's resource builder.</returns>
    public static IResourceBuilder<MySqlClusterResource> WithBackupCommand(this IResourceBuilder<MySqlClusterResource> builder,
        string program, IReadOnlyList<string> arguments, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithBackupCommand(SyncedNodeContainer(builder.Resource), "No node of the cluster runs synced.", program, arguments, timeout);
    }

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/> and <c>--container</c> and the server's running
    /// container every <paramref name="every"/> while the AppHost runs, as the dashboard's command would; each backup's
    /// lines go into the server's log, a failed one as errors. A server that is not running is skipped, and said so.
    /// </summary>
    /// <param name="builder">The server's resource builder.</param>
    /// <param name="every">How often: at least a minute.</param>
    /// <param name="program">The program that makes the backup.</param>
    /// <param name="arguments">Its arguments, before <c>--container NAME</c> (such as pruning's).</param>
    /// <returns>The server's resource builder.</returns>
    public static IResourceBuilder<MySqlServerResource> WithBackupSchedule(this IResourceBuilder<MySqlServerResource> builder,
        TimeSpan every, string program, IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithBackupSchedule(ServerContainer(builder.Resource), "the server is not running", every, program, arguments);
    }

    /// <summary>
    /// Runs <paramref name="program"/> every <paramref name="every"/> on the cluster's last node that runs and is synced,
    /// as the cluster's dashboard command would; each backup's lines go into the cluster's log, a failed one as errors.
    /// With no node synced the backup is skipped, and said so.
    /// </summary>
    /// <param name="builder">The cluster's resource builder.</param>
    /// <param name="every">How often: at least a minute.</param>
    /// <param name="program">The program that makes the backup.</param>
    /// <param name="arguments">Its arguments, before <c>--container NAME</c> (such as pruning's).</param>
    /// <returns>The cluster's resource builder.</returns>
    public static IResourceBuilder<MySqlClusterResource> WithBackupSchedule(this IResourceBuilder<MySqlClusterResource> builder,
        TimeSpan every, string program, IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithBackupSchedule(SyncedNodeContainer(builder.Resource), "no node of the cluster runs synced", every, program, arguments);
    }

    // The container a backup reads: the server's while it runs; null otherwise.
    private static Func<ResourceNotificationService, string?> ServerContainer(MySqlServerResource server) => notifications =>
        notifications.TryGetCurrentState(server.Name, out var state) && state.Snapshot.State?.Text == KnownResourceStates.Running
            ? state.ResourceId
            : null;

    // The last node that runs and whose health (its Galera state) is Synced: away from the app's writes, which go to the first.
    private static Func<ResourceNotificationService, string?> SyncedNodeContainer(MySqlClusterResource cluster) => notifications =>
        cluster.Nodes.Reverse()
            .Select(node => notifications.TryGetCurrentState(node.Name, out var state) ? state : null)
            .FirstOrDefault(state => state?.Snapshot.State?.Text == KnownResourceStates.Running && state.Snapshot.HealthStatus == HealthStatus.Healthy)
            ?.ResourceId;

    private static IResourceBuilder<T> WithBackupCommand<T>(this IResourceBuilder<T> builder, Func<ResourceNotificationService, string?> container,
        string notRunning, string program, IReadOnlyList<string> arguments, TimeSpan? timeout)
        where T : IResource
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentNullException.ThrowIfNull(arguments);
        return builder.WithCommand(BackupCommandName, "Back up", async context =>
        {
            if (container(context.Services.GetRequiredService<ResourceNotificationService>()) is not { } target)
            {
                return CommandResults.Failure(notRunning);
            }
            var logger = context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(builder.Resource);
            return await BackUpAsync(program, arguments, target, timeout, logger, context.CancellationToken)
                ? CommandResults.Success()
                : CommandResults.Failure("The backup failed; the log says why.");
        },
        new CommandOptions
        {
            Description = "An online backup into the backup folder, with its manifest.",
            IconName = "Archive",
            UpdateState = RunningContainer.EnabledWhileRunning,
        });
    }

    private static IResourceBuilder<T> WithBackupSchedule<T>(this IResourceBuilder<T> builder, Func<ResourceNotificationService, string?> container,
        string notRunning, TimeSpan every, string program, IReadOnlyList<string> arguments)
        where T : IResource
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, TimeSpan.FromMinutes(1));
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentNullException.ThrowIfNull(arguments);
        var resource = builder.Resource;
        builder.ApplicationBuilder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);
            var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(every);
                try
                {
                    while (await timer.WaitForNextTickAsync(stopping))
                    {
                        if (container(notifications) is { } target)
                        {
                            logger.LogInformation("Scheduled backup (every {Every})", every);
                            await BackUpAsync(program, arguments, target, null, logger, stopping);
                        }
                        else
                        {
                            logger.LogWarning("Scheduled backup skipped: {Reason}", notRunning);
                        }
                    }
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                }
            }, stopping);
            return Task.CompletedTask;
        });
        return builder;
    }

    // The program's lines into the server's log, as errors if it failed; whether it succeeded.
    private static async Task<bool> BackUpAsync(string program, IReadOnlyList<string> arguments, string container, TimeSpan? timeout,
        ILogger logger, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await HostProgram.RunAsync(program, [.. arguments, "--container", container],
            cancellationToken, timeout ?? TimeSpan.FromMinutes(30), whenMissing: $"{program} makes the backups");
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            logger.Log(exitCode == 0 ? LogLevel.Information : LogLevel.Error, "{BackupLine}", line);
        }
        if (exitCode != 0)
        {
            logger.LogError("The backup failed (exit code {ExitCode})", exitCode);
        }
        return exitCode == 0;
    }
}
