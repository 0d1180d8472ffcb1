using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>The production profile's stack (the outage stack runs it) has no database admin page, and MySQL keeps its socket to itself.</summary>
[Collection(OutageCollection.Name)]
[Trait(Speed.Name, Speed.Docker)]
public sealed class AdminPageProductionTests(OutageStackFixture stack)
{
    [Fact]
    public void The_production_stack_runs_no_admin_page_and_shares_no_MySQL_socket()
    {
        var resources = stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources;

        Assert.Contains(resources, r => r.Name == "mysql");
        Assert.DoesNotContain(resources, r => r is AdminerResource || r.Name == "mysql-admin");
        Assert.DoesNotContain(resources.OfType<MySqlServerResource>().Single().Annotations.OfType<ContainerMountAnnotation>(), m => m.Target == "/run/mysqld");
    }
}
