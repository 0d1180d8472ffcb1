using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace FooBar.Hosting.Processes;

/// <summary>What a command that acts inside a resource's container needs: whether it runs, and its container's name.</summary>
internal static class RunningContainer
{
    /// <summary>A command's state: enabled only while its resource runs.</summary>
    public static ResourceCommandState EnabledWhileRunning(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.State?.Text == KnownResourceStates.Running ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;

    /// <summary>
    /// The running container of the command's resource by name (the resource id): DCP keeps it across a stop and start,
    /// while the snapshot's <c>container.id</c> may still be the old container's. Null while it does not run.
    /// </summary>
    public static string? Of(ExecuteCommandContext context) =>
        context.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState(context.ResourceName, out var state)
        && state.Snapshot.State?.Text == KnownResourceStates.Running
            ? state.ResourceId
            : null;
}
