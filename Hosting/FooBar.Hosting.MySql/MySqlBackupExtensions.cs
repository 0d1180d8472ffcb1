using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FooBar.Hosting;

/// <summary>The dashboard's backup command for a MySQL server: a program of the AppHost's choosing backs up its running container.</summary>
public static class MySqlBackupExtensions
{
    /// <summary>The name of the command <see cref="WithBackupCommand"/> adds.</summary>
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
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentNullException.ThrowIfNull(arguments);
        return builder.WithCommand(BackupCommandName, "Back up", async context =>
        {
            if (RunningContainer.Of(context) is not { } container)
            {
                return CommandResults.Failure("MySQL is not running.");
            }
            var logger = context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(builder.Resource);
            return await BackUpAsync(program, arguments, container, timeout, logger, context.CancellationToken)
                ? CommandResults.Success()
                : CommandResults.Failure("The backup failed; the server's log says why.");
        },
        new CommandOptions
        {
            Description = "An online backup of this server into the backup folder, with its manifest.",
            IconName = "Archive",
            UpdateState = RunningContainer.EnabledWhileRunning,
        });
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
        ArgumentOutOfRangeException.ThrowIfLessThan(every, TimeSpan.FromMinutes(1));
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentNullException.ThrowIfNull(arguments);
        var server = builder.Resource;
        builder.ApplicationBuilder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
            var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(every);
                try
                {
                    while (await timer.WaitForNextTickAsync(stopping))
                    {
                        if (notifications.TryGetCurrentState(server.Name, out var state) && state.Snapshot.State?.Text == KnownResourceStates.Running)
                        {
                            logger.LogInformation("Scheduled backup (every {Every})", every);
                            await BackUpAsync(program, arguments, state.ResourceId, null, logger, stopping);
                        }
                        else
                        {
                            logger.LogWarning("Scheduled backup skipped: the server is not running");
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
