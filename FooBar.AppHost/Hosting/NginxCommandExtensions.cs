using Aspire.Hosting.ApplicationModel;
using FooBar.AppHost.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

public static class NginxCommandExtensions
{
    public const string ReloadCommandName = "reload-config";

    // The resource snapshot property in which Aspire reports a container's id.
    private const string ContainerIdProperty = "container.id";

    /// <summary>
    /// Adds a "Reload configuration" command to the dashboard: re-renders the templates, has nginx check
    /// them and, only if they are valid, reloads its workers gracefully (no request is dropped).
    /// </summary>
    public static IResourceBuilder<NginxResource> WithReloadCommand(this IResourceBuilder<NginxResource> builder) =>
        builder.WithCommand(ReloadCommandName, "Reload configuration", async context =>
        {
            var notifications = context.Services.GetRequiredService<ResourceNotificationService>();
            if (!notifications.TryGetCurrentState(context.ResourceName, out var state)
                || state.Snapshot.Properties.FirstOrDefault(p => p.Name == ContainerIdProperty)?.Value is not string containerId)
            {
                return CommandResults.Failure("The nginx container is not running.");
            }

            // The entrypoint renders the templates again with the container's environment before `nginx -t`.
            var (exitCode, output) = await DockerCli.RunAsync(
                ["exec", containerId, "sh", "-c", "/docker-entrypoint.sh nginx -t -q && nginx -s reload"], context.CancellationToken);
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
