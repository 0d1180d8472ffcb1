using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace FooBar.Hosting;

/// <summary>The dashboard's commands for nginx: reload its configuration; restart its upstream's servers one at a time.</summary>
public static class NginxCommandExtensions
{
    /// <summary>The name of the command <see cref="WithReloadCommand"/> adds.</summary>
    public const string ReloadCommandName = "reload-config";
    /// <summary>The name of the command <see cref="WithRollingRestartCommand"/> adds.</summary>
    public const string RollingRestartCommandName = "rolling-restart";

    private static readonly TimeSpan OldWorkersTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan HealthyAgainTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Adds a "Reload configuration" command to the dashboard: re-renders the templates, has nginx check
    /// them and, only if they are valid, reloads its workers gracefully (no request is dropped).
    /// </summary>
    /// <param name="builder">The nginx resource builder.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<NginxResource> WithReloadCommand(this IResourceBuilder<NginxResource> builder) =>
        builder.WithReloadCommand(RunningContainer.Of);

    // The reload command of an nginx resource or a front door, on the container that `container` names (null: not running).
    internal static IResourceBuilder<T> WithReloadCommand<T>(this IResourceBuilder<T> builder, Func<ExecuteCommandContext, string?> container)
        where T : IResource =>
        builder.WithCommand(ReloadCommandName, "Reload configuration", async context =>
        {
            if (container(context) is not { } running)
            {
                return CommandResults.Failure("The nginx container is not running.");
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

    /// <summary>
    /// Adds a "Rolling restart" command for an upstream of two or more servers (<see cref="NginxBuilderExtensions.WithUpstream"/>):
    /// one server at a time is taken out of nginx's rotation (nginx reloads, and its old workers finish what they
    /// had sent it), restarted (Kestrel finishes any request still in flight), checked healthy and put back, so a
    /// new build reaches every server while the others answer. With a single server there is nothing to
    /// answer meanwhile, and no command is added: its own Restart shows the downtime honestly.
    /// </summary>
    /// <param name="builder">The nginx resource builder.</param>
    /// <param name="upstreamName">The upstream whose servers are restarted.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<NginxResource> WithRollingRestartCommand(this IResourceBuilder<NginxResource> builder, string upstreamName)
    {
        var upstream = builder.Resource.Annotations.OfType<NginxUpstream>().SingleOrDefault(u => u.Name == upstreamName)
            ?? throw new InvalidOperationException($"nginx has no upstream '{upstreamName}': call WithUpstream first.");
        if (upstream.Servers.Count < 2)
        {
            return builder;
        }

        return builder.WithCommand(RollingRestartCommandName, $"Rolling restart of {upstreamName}", async context =>
            RunningContainer.Of(context) is { } container
                ? await RollingRestartAsync(upstream, [container],
                    context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(builder.Resource), context.Services, context.CancellationToken)
                : CommandResults.Failure("The nginx container is not running."),
        new CommandOptions
        {
            Description = $"Restart each of {upstreamName}'s servers in turn, each out of nginx's rotation until it is healthy again.",
            IconName = "ArrowClockwise",
            UpdateState = RunningContainer.EnabledWhileRunning,
        });
    }

    /// <summary>
    /// The rolling restart itself, for every nginx container that reads <paramref name="upstream"/>'s file (one, or each
    /// front door): each server out of rotation (every container reloaded), restarted until healthy, and back.
    /// </summary>
    internal static async Task<ExecuteCommandResult> RollingRestartAsync(NginxUpstream upstream, IReadOnlyList<string> containers,
        ILogger logger, IServiceProvider services, CancellationToken cancellationToken)
    {
        var allInRotation = true;
        try
        {
            foreach (var server in upstream.Servers)
            {
                logger.LogInformation("Rolling restart: taking {Server} out of rotation", server.Name);
                allInRotation = false;
                await upstream.WriteAsync(down: server, cancellationToken);
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

                await upstream.WriteAsync(down: null, cancellationToken);
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
                await upstream.WriteAsync(down: null, CancellationToken.None);
                await ReloadAllAsync(containers, CancellationToken.None);
            }
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
