using Aspire.Hosting.ApplicationModel;

namespace FooBar.Hosting;

/// <summary>Several instances of one project, each a resource of its own with its own health, logs and commands.</summary>
public static class ProjectInstancesExtensions
{
    /// <summary>
    /// Adds <paramref name="instances"/> resources running <typeparamref name="TProject"/>: one is named
    /// <paramref name="name"/>; several are <c>name-1</c> … <c>name-N</c>, each configured by <paramref name="configure"/>
    /// and listening on its own port (the launch profile's port, the next one up for the second, and so on).
    /// Unlike Aspire's <c>WithReplicas</c>, which puts one proxy in front of every replica, each instance is
    /// addressable itself, so a load balancer such as nginx can spread requests over them and skip one that fails.
    /// In run mode, several are shown under an <see cref="InstanceGroupResource"/> named <paramref name="name"/>, whose
    /// health is <c>Degraded</c> while some but not all of them are healthy.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name for one instance, and the prefix for several.</param>
    /// <param name="instances">How many instances, at least one.</param>
    /// <param name="configure">What every instance gets (references, health checks, environment).</param>
    /// <returns>The instances' resource builders, in order.</returns>
    /// <example>
    /// <code>
    /// var web = builder.AddProjectInstances&lt;Projects.FooBar_Web&gt;("web", 3, web => web.WithHttpHealthProbe("/health"));
    /// builder.AddNginx("nginx").WithUpstream("web", web);
    /// </code>
    /// </example>
    public static IReadOnlyList<IResourceBuilder<ProjectResource>> AddProjectInstances<TProject>(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, int instances, Action<IResourceBuilder<ProjectResource>> configure)
        where TProject : IProjectMetadata, new()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(instances, 1);
        var all = Enumerable.Range(1, instances).Select(number =>
        {
            var instance = builder.AddProject<TProject>(instances == 1 ? name : $"{name}-{number}")
                .WithAnnotation(new ProjectInstanceAnnotation(name, number, instances));
            configure(instance);
            // The first keeps the launch profile's port, each next one the port one up.
            foreach (var endpoint in instance.Resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.Port is not null))
            {
                endpoint.Port += number - 1;
            }
            return instance;
        }).ToList();
        // Several: a resource named name over them, Degraded while fewer than all are healthy.
        InstanceGroups.Add(builder, name, "instance", all);
        return all;
    }
}
