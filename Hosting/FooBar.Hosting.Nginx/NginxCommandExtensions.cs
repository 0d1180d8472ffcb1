using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace FooBar.Hosting;

/// <summary>The dashboard's commands for nginx: reload its configuration; what a rolling restart of its upstream's servers does.</summary>
public static class NginxCommandExtensions
{
    /// <summary>The name of the command <see cref="WithReloadCommand"/> adds.</summary>
    public const string ReloadCommandName = "reload-config";
    /// <summary>The name of the command <see cref="NginxInstancesExtensions.WithRollingRestartCommand"/> adds.</summary>
    public const string RollingRestartCommandName = "rolling-restart";

    private static readonly TimeSpan OldWorkersTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan HealthyAgainTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Adds a "Reload configuration" command to the dashboard: re-renders the templates, has nginx check
    /// them and, only if they are valid, reloads its workers gracefully (no request is dropped).
    /// </summary>
    /// <typeparam name="T">The nginx resource's type.</typeparam>
    /// <param name="builder">The nginx resource builder.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<T> WithReloadCommand<T>(this IResourceBuilder<T> builder)
        where T : INginxResource =>
        builder.WithCommand(ReloadCommandName, "Reload configuration", async context =>
        {
            if (ContainerOf(builder.Resource, context) is not { } running)
            {
                return CommandResults.Failure("nginx is not running.");
            }
            var failure = await ReloadAsync(running, context.CancellationToken);
            return failure is null ? CommandResults.Success() : CommandResults.Failure(failure);
        },
        new CommandOptions
        {
            Description = "Render the templates again, check them with nginx -t and reload nginx.",
            IconName = "ArrowSync",
            UpdateState = RunningContainer.EnabledWhileRunning,
        });

    /// <summary>The container nginx runs in now (a door's is named by the door, a container's by Aspire), or null while it does not run.</summary>
    internal static string? ContainerOf(IResource nginx, ExecuteCommandContext context) =>
        RunningContainer.Of(context) is { } id ? (nginx is NginxFrontDoorResource door ? door.ContainerName : id) : null;

    /// <summary>
    /// The rolling restart itself, for every nginx that balances across <paramref name="servers"/> (one, or each front
    /// door, each with its own upstream file): each server out of rotation (every running nginx reloaded), restarted
    /// until healthy, and back. A stopped nginx reads the whole list when it starts again.
    /// </summary>
    internal static async Task<ExecuteCommandResult> RollingRestartAsync(IReadOnlyList<IResource> servers,
        IReadOnlyList<NginxUpstream> upstreams, IReadOnlyList<string> containers,
        ILogger logger, IServiceProvider services, CancellationToken cancellationToken)
    {
        var allInRotation = true;
        try
        {
            foreach (var server in servers)
            {
                logger.LogInformation("Rolling restart: taking {Server} out of rotation", server.Name);
                allInRotation = false;
                await WriteAllAsync(upstreams, down: server, cancellationToken);
                if (await ReloadAllAsync(containers, cancellationToken) is { } failure)
                {
                    return CommandResults.Failure(failure);
                }
                foreach (var container in containers)
                {
                    await WaitForOldWorkersAsync(container, logger, cancellationToken);
                }

                logger.LogInformation("Rolling restart: restarting {Server}", server.Name);
                if (await RestartUntilHealthyAsync(services, server, cancellationToken) is { } restartFailure)
                {
                    return CommandResults.Failure(restartFailure);
                }

                await WriteAllAsync(upstreams, down: null, cancellationToken);
                if (await ReloadAllAsync(containers, cancellationToken) is { } backFailure)
                {
                    return CommandResults.Failure(backFailure);
                }
                allInRotation = true;
                logger.LogInformation("Rolling restart: {Server} is healthy and back in rotation", server.Name);
            }
            return CommandResults.Success();
        }
        finally
        {
            // Whatever went wrong, nginx ends with every server in rotation: its passive checks skip one that is down.
            if (!allInRotation)
            {
                await WriteAllAsync(upstreams, down: null, CancellationToken.None);
                await ReloadAllAsync(containers, CancellationToken.None);
            }
        }
    }

    private static async Task WriteAllAsync(IReadOnlyList<NginxUpstream> upstreams, IResource? down, CancellationToken cancellationToken)
    {
        foreach (var upstream in upstreams)
        {
            await upstream.WriteAsync(down, cancellationToken);
        }
    }

    // Every container, each with its own check first; the first failure, or null.
    private static async Task<string?> ReloadAllAsync(IReadOnlyList<string> containers, CancellationToken cancellationToken)
    {
        foreach (var container in containers)
        {
            if (await ReloadAsync(container, cancellationToken) is { } failure)
            {
                return $"{container}: {failure}";
            }
        }
        return null;
    }

    // The entrypoint renders the templates again with the container's environment before `nginx -t`; null on success.
    private static async Task<string?> ReloadAsync(string container, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await DockerCli.RunAsync(
            ["exec", container, "sh", "-c", "/docker-entrypoint.sh nginx -t -q && nginx -s reload"], cancellationToken);
        return exitCode == 0 ? null : output.Trim();
    }

    // After a reload, the old workers finish the requests they have (some sent to the server leaving rotation) and
    // exit; their titles say "shutting down" until then. ([s] keeps the shell's and grep's own command lines out.)
    private static async Task WaitForOldWorkersAsync(string container, ILogger logger, CancellationToken cancellationToken)
    {
        var tenths = (int)OldWorkersTimeout.TotalSeconds * 10;
        var (exitCode, _) = await DockerCli.RunAsync(["exec", container, "sh", "-c",
            $"i=0; while grep -qs '[s]hutting down' /proc/[0-9]*/cmdline; do i=$((i+1)); [ $i -lt {tenths} ] || exit 1; sleep 0.1; done"],
            cancellationToken);
        if (exitCode != 0)
        {
            logger.LogWarning("nginx's old workers were still finishing requests after {Timeout}; going on", OldWorkersTimeout);
        }
    }

    // Aspire's own Restart (so supervision knows a person asked), then the resource's own health checks until they pass.
    internal static async Task<string?> RestartUntilHealthyAsync(IServiceProvider services, IResource server, CancellationToken cancellationToken)
    {
        var restartedAt = DateTime.UtcNow.AddSeconds(-1);
        var result = await services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(server, KnownResourceCommands.RestartCommand, cancellationToken);
        if (!result.Success)
        {
            return $"Restarting {server.Name} failed: {result.Message}";
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HealthyAgainTimeout);
        try
        {
            await services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync(server.Name,
                e => e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.StartTimeStamp >= restartedAt, timeout.Token);
            var checks = server.Annotations.OfType<HealthCheckAnnotation>().Select(a => a.Key).ToHashSet();
            var health = services.GetRequiredService<HealthCheckService>();
            while ((await health.CheckHealthAsync(check => checks.Contains(check.Name), timeout.Token)).Status != HealthStatus.Healthy)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token);
            }
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"{server.Name} was not healthy again within {HealthyAgainTimeout}: the rolling restart stopped there.";
        }
    }
}
