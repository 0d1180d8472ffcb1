using Aspire.Hosting.Eventing;
using Aspire.Hosting.Lifecycle;
using Microsoft.Extensions.Hosting;

namespace FooBar.Tests.Infrastructure;

/// <summary>
/// The AppHost's own model (its Program.cs), built but never run: no DCP, no container, no volume. The testing builder
/// runs Program.cs on a thread of its own, and once the model is built (BuildAsync, or disposing the builder) that
/// thread carries on into Program.cs's <c>builder.Build().Run()</c>: the real AppHost, with MySQL on its own named
/// volume. The model's application stops that run before it starts anything.
/// </summary>
public static class AppHostModel
{
    public static async Task<IDistributedApplicationTestingBuilder> CreateAsync(params string[] args)
    {
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FooBar_AppHost>(args);
        appHost.Services.TryAddEventingSubscriber<StopBeforeStart>();
        return appHost;
    }

    /// <summary>What stops the AppHost from building its model with <paramref name="args"/> (a setting out of range), as text.</summary>
    public static async Task<string> StartupErrorAsync(params string[] args)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var appHost = await CreateAsync(args);
        });
        return error.ToString();
    }

    /// <summary>A resource's environment as the publisher would write it: endpoint references stay expressions.</summary>
    public static async Task<Dictionary<string, string>> EnvironmentAsync(DistributedApplication app, IResource resource)
    {
        var publishing = new DistributedApplicationExecutionContext(
            new DistributedApplicationExecutionContextOptions(DistributedApplicationOperation.Publish) { Services = app.Services });
        var configuration = await ExecutionConfigurationBuilder.Create(resource).WithEnvironmentVariablesConfig().BuildAsync(publishing);
        return configuration.EnvironmentVariables.ToDictionary();
    }

    /// <summary>
    /// Run calls the eventing subscribers first, before any start-up hook and before the host (DCP) starts: this one stops
    /// the application there, and Run returns as after any requested stop.
    /// </summary>
    private sealed class StopBeforeStart(IHostApplicationLifetime lifetime) : IDistributedApplicationEventingSubscriber
    {
        public Task SubscribeAsync(IDistributedApplicationEventing eventing, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
        {
            lifetime.StopApplication();
            lifetime.ApplicationStopping.ThrowIfCancellationRequested();
            return Task.CompletedTask;
        }
    }
}
