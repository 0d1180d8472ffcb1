using Aspire.Hosting.ApplicationModel;
using FooBar.AppHost.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>Commands the dashboard offers for an nginx resource.</summary>
public static class NginxCommandExtensions
{
    /// <summary>The name of the command <see cref="WithReloadCommand"/> adds.</summary>
    public const string ReloadCommandName = "reload-config";

    /// <summary>
    /// Adds a "Reload configuration" command to the dashboard: re-renders the templates, has nginx check
    /// them and, only if they are valid, reloads its workers gracefully (no request is dropped).
    /// </summary>
    /// <param name="builder">The nginx resource builder.</param>
    /// <returns>The nginx resource builder.</returns>
    public static IResourceBuilder<NginxResource> WithReloadCommand(this IResourceBuilder<NginxResource> builder) =>
        builder.WithCommand(ReloadCommandName, "Reload configuration", async context =>
        {
            var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
            if (!notifications.TryGetCurrentState(context.ResourceName, out var state)
                || state.Snapshot.State?.Text != KnownResourceStates.Running)
            {
                return CommandResults.Failure("The nginx container is not running.");
            }

            // By name (the resource id), as MySqlRootLogin does: DCP keeps it across a stop and start, while the
            // snapshot's container.id may still be the old container's.
            // The entrypoint renders the templates again with the container's environment before `nginx -t`.
            var (exitCode, output) = await DockerCli.RunAsync(
                ["exec", state.ResourceId, "sh", "-c", "/docker-entrypoint.sh nginx -t -q && nginx -s reload"], context.CancellationToken);
            return exitCode == 0 ? CommandResults.Success() : CommandResults.Failure(output.Trim());
        },
        new CommandOptions
        {
            Description = "Render the templates again, check them with nginx -t and reload nginx.",
            IconName = "ArrowSync",
            UpdateState = context => context.ResourceSnapshot.State?.Text == KnownResourceStates.Running
                ? ResourceCommandState.Enabled
                : ResourceCommandState.Disabled,
        });
}
