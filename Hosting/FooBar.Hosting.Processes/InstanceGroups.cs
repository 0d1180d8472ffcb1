using FooBar.Hosting.Processes;
using Microsoft.Extensions.DependencyInjection;

namespace FooBar.Hosting;

/// <summary>The resource that stands for several instances serving as one, made where they are made.</summary>
internal static class InstanceGroups
{
    /// <summary>
    /// In run mode, a group <paramref name="name"/> over <paramref name="members"/> (two or more), shown as their parent
    /// with the health of all of them; nothing otherwise (one instance is its own health; a published stack's orchestrator
    /// counts its replicas itself).
    /// </summary>
    public static InstanceGroupResource? Add<T>(IDistributedApplicationBuilder builder, string name, string noun, IReadOnlyList<IResourceBuilder<T>> members)
        where T : IResource
    {
        if (!builder.ExecutionContext.IsRunMode || members.Count < 2)
        {
            return null;
        }
        var group = new InstanceGroupResource(name, noun);
        var healthCheckKey = $"{name}_instances";
        builder.Services.AddHealthChecks().AddTypeActivatedCheck<InstanceGroupHealthCheck>(healthCheckKey, group);
        var groupBuilder = builder.AddResource(group).WithHealthCheck(healthCheckKey).ExcludeFromManifest()
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "InstanceGroup",
                Properties = [new("group.members", string.Join(", ", members.Select(m => m.Resource.Name)))],
            });
        foreach (var member in members)
        {
            group.Add(member.Resource);
            member.WithParentRelationship(group);
        }
        // Health checks run on a resource that runs: the group does as soon as the model starts, its members' health says the rest.
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
            @event.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(group,
                snapshot => snapshot with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow }));
        return group;
    }
}
