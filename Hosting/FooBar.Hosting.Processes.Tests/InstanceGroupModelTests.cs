using FooBar.Hosting.Processes;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FooBar.Hosting.Processes.Tests;

/// <summary>
/// The resource that stands for several instances (web for web-1 … web-N): made with them in run mode, their parent on
/// the dashboard, its health theirs together. No Docker.
/// </summary>
[Trait("Speed", "Fast")]
public sealed class InstanceGroupModelTests
{
    [Fact]
    public void Several_instances_are_shown_under_a_group_of_their_name_with_a_health_check_of_its_own()
    {
        var builder = DistributedApplication.CreateBuilder();

        var web = builder.AddProjectInstances<SomeProject>("web", 3, _ => { });

        var group = Assert.Single(builder.Resources.OfType<InstanceGroupResource>());
        Assert.Equal("web", group.Name);
        Assert.Equal(web.Select(w => (IResource)w.Resource), group.Members);
        Assert.All(web, w => Assert.Same(group, Assert.Single(w.Resource.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent").Resource));
        Assert.Single(group.Annotations.OfType<HealthCheckAnnotation>());
    }

    [Fact]
    public void One_instance_is_its_own_health_and_a_published_model_has_no_group()
    {
        var single = DistributedApplication.CreateBuilder();
        single.AddProjectInstances<SomeProject>("web", 1, _ => { });
        var published = DistributedApplication.CreateBuilder(["--operation", "publish"]);
        published.AddProjectInstances<SomeProject>("web", 3, _ => { });

        Assert.Empty(single.Resources.OfType<InstanceGroupResource>());
        Assert.Empty(published.Resources.OfType<InstanceGroupResource>());
    }

    [Theory]
    [InlineData(3, HealthStatus.Healthy)]
    [InlineData(2, HealthStatus.Degraded)]
    [InlineData(1, HealthStatus.Degraded)]
    [InlineData(0, HealthStatus.Unhealthy)]
    public async Task A_group_is_healthy_with_all_its_instances_healthy_degraded_with_some_and_unhealthy_with_none(int healthy, HealthStatus expected)
    {
        var builder = DistributedApplication.CreateBuilder();
        var web = builder.AddProjectInstances<SomeProject>("web", 3, _ => { });
        var group = Assert.Single(builder.Resources.OfType<InstanceGroupResource>());
        using var app = builder.Build();
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        foreach (var (instance, index) in web.Select((w, i) => (w.Resource, i)))
        {
            // As Aspire shows them: running, and healthy or not by their own checks.
            await notifications.PublishUpdateAsync(instance, snapshot => (snapshot with { State = KnownResourceStates.Running })
                .WithHealthReports([new HealthReportSnapshot("probe", index < healthy ? HealthStatus.Healthy : HealthStatus.Unhealthy, null, null)]));
        }

        var result = await new InstanceGroupHealthCheck(group, notifications).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(expected, result.Status);
        Assert.StartsWith($"{healthy} of 3 instances healthy", result.Description);
        // The report names what is missing, so the dashboard says which part it is.
        Assert.Equal(expected != HealthStatus.Healthy, result.Description!.Contains("web-3", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_instance_stopped_counts_as_missing_with_its_state()
    {
        var builder = DistributedApplication.CreateBuilder();
        var web = builder.AddProjectInstances<SomeProject>("web", 2, _ => { });
        var group = Assert.Single(builder.Resources.OfType<InstanceGroupResource>());
        using var app = builder.Build();
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        await notifications.PublishUpdateAsync(web[0].Resource, snapshot => (snapshot with { State = KnownResourceStates.Running })
            .WithHealthReports([new HealthReportSnapshot("probe", HealthStatus.Healthy, null, null)]));
        await notifications.PublishUpdateAsync(web[1].Resource, snapshot => snapshot with { State = KnownResourceStates.Exited });

        var result = await new InstanceGroupHealthCheck(group, notifications).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal("1 of 2 instances healthy; not: web-2 Exited", result.Description);
    }

    // A project that is never built or run: this test project's own file, which Aspire finds without launch settings.
    private sealed class SomeProject : IProjectMetadata
    {
        public string ProjectPath => Path.Combine(SourceFolder(), "FooBar.Hosting.Processes.Tests.csproj");

        private static string SourceFolder([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
    }
}
