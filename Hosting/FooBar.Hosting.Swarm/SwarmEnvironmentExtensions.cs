using System.Reflection;
using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Swarm;

namespace FooBar.Hosting;

/// <summary>
/// A Docker Swarm stack generated from the AppHost's model, in the shape of Aspire's Docker Compose publisher
/// (<c>AddDockerComposeEnvironment</c>, <c>PublishAsDockerComposeService</c>), which the package registry here does
/// not serve: moving to it later changes these calls, not the model.
/// </summary>
public static class SwarmEnvironmentExtensions
{
    /// <summary>
    /// Adds a Docker Swarm environment: <c>--operation publish --step publish</c> writes its stack file
    /// (<see cref="SwarmEnvironmentResource.StackFileName"/>, and the configs it names) to the output path. In run
    /// mode the environment is not added to the model, as Aspire's Compose environment is not: nothing starts and
    /// nothing shows in the dashboard.
    /// </summary>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="name">The environment's name.</param>
    /// <returns>The environment's resource builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddSwarmEnvironment("swarm");
    /// // dotnet run --project FooBar.AppHost -- --operation publish --step publish --output-path out/swarm
    /// </code>
    /// </example>
    public static IResourceBuilder<SwarmEnvironmentResource> AddSwarmEnvironment(this IDistributedApplicationBuilder builder,
        [ResourceName] string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);

        var environment = new SwarmEnvironmentResource(name);
        if (builder.ExecutionContext.IsRunMode)
        {
            // A builder for a resource outside the model: calls on it are harmless and it never surfaces.
            return builder.CreateResourceBuilder(environment);
        }

        // The dashboard `dotnet run` starts, from the package the Aspire SDK names in the AppHost's assembly.
        environment.DashboardFolder = builder.AppHostAssembly?.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "aspiredashboardpath")?.Value is { Length: > 0 } dashboard ? Path.GetDirectoryName(dashboard) : null;
        if (builder.Configuration["Swarm:SiteAddresses"] is { Length: > 0 } addresses)
        {
            environment.NodeAddresses = addresses.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        }
        environment.AddPublishSteps();
        return builder.AddResource(environment);
    }

    /// <summary>
    /// Gives the stack one address for the site that survives the loss of any node: keepalived on every node (VRRP)
    /// puts the address configured as <c>Swarm:FloatingAddress</c> (<c>172.20.255.250/16</c>, on the nodes' own network)
    /// on one node whose <paramref name="frontDoor"/> answers its health check, and on another within a second when that
    /// node or its front door fails. The stack's DNS then answers this one address. Without the setting, nothing changes.
    /// </summary>
    /// <param name="builder">The Swarm environment's builder.</param>
    /// <param name="frontDoor">The front door on every node (<c>AddNginxInstances</c>), whose published port and health check decide.</param>
    /// <param name="recipeFolder">The keepalived image's recipe, relative to the AppHost's folder.</param>
    /// <returns>The Swarm environment's builder.</returns>
    public static IResourceBuilder<SwarmEnvironmentResource> WithFloatingAddress(this IResourceBuilder<SwarmEnvironmentResource> builder,
        IResourceBuilder<IResource> frontDoor, string recipeFolder)
    {
        ArgumentNullException.ThrowIfNull(frontDoor);
        if (builder.ApplicationBuilder.Configuration["Swarm:FloatingAddress"] is { Length: > 0 } cidr)
        {
            builder.Resource.FloatingAddress = new SwarmFloatingAddress(cidr, frontDoor.Resource,
                Path.GetFullPath(recipeFolder, builder.ApplicationBuilder.AppHostDirectory));
        }
        return builder;
    }

    /// <summary>
    /// Changes the Swarm service generated for this resource, after everything the model says has been applied
    /// (image, environment, ports, volumes, secrets, health check, <c>deploy:</c>). Only in publish mode.
    /// </summary>
    /// <typeparam name="T">The resource's type.</typeparam>
    /// <param name="builder">The resource builder.</param>
    /// <param name="configure">Receives the resource and its generated service.</param>
    /// <returns>The resource builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddMySql("mysql").PublishAsSwarmService((_, service) => service.Deploy.RestartPolicy = new() { Condition = "any" });
    /// </code>
    /// </example>
    public static IResourceBuilder<T> PublishAsSwarmService<T>(this IResourceBuilder<T> builder, Action<IResource, SwarmService> configure)
        where T : IComputeResource
    {
        ArgumentNullException.ThrowIfNull(configure);
        return builder.PublishAsSwarmService(context => configure(context.Resource, context.Service));
    }

    /// <summary>
    /// Contributes to the Swarm service generated for this resource, with the stack's names for the other resources
    /// and its configs (an integration's own part of the stack, such as nginx's upstream files). Only in publish mode.
    /// </summary>
    /// <typeparam name="T">The resource's type.</typeparam>
    /// <param name="builder">The resource builder.</param>
    /// <param name="configure">Receives the resource's service and the stack's names.</param>
    /// <returns>The resource builder.</returns>
    public static IResourceBuilder<T> PublishAsSwarmService<T>(this IResourceBuilder<T> builder, Action<SwarmServiceContext> configure)
        where T : IComputeResource
    {
        ArgumentNullException.ThrowIfNull(configure);
        return builder.ApplicationBuilder.ExecutionContext.IsPublishMode
            ? builder.WithAnnotation(new SwarmServiceCustomizationAnnotation(configure))
            : builder;
    }
}
