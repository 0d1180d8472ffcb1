using System.Reflection;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>The speeds that scripts/test.sh --fast selects on: a class without one would run in neither or the wrong run.</summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class TestSpeedTests
{
    private static readonly IReadOnlyList<Type> TestClasses = typeof(TestSpeedTests).Assembly.GetTypes()
        .Where(type => type.GetMethods().Any(method => method.GetCustomAttributes<FactAttribute>().Any()))
        .ToList();

    [Fact]
    public void Every_test_class_carries_exactly_one_speed()
    {
        Assert.NotEmpty(TestClasses);
        Assert.All(TestClasses, type => Assert.True(
            Speeds(type) is [Speed.Fast] or [Speed.Docker],
            $"{type.Name} carries [{string.Join(", ", Speeds(type))}]: give it [Trait(Speed.Name, Speed.Fast)] or [Trait(Speed.Name, Speed.Docker)]"));
    }

    [Fact]
    public void A_fast_test_class_shares_no_stack_or_other_fixture()
    {
        var fast = TestClasses.Where(type => Speeds(type) is [Speed.Fast]).ToList();

        Assert.Contains(typeof(DnsModelTests), fast);
        // A collection or class fixture is a stack (or a swarm) started for the class: that needs Docker.
        Assert.All(fast, type => Assert.False(
            type.GetCustomAttributes<CollectionAttribute>().Any() || type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IClassFixture<>)),
            $"{type.Name} is marked fast but shares a fixture, which starts containers"));
    }

    [Fact]
    public void A_fast_test_class_is_checked_for_Docker_data_of_the_AppHosts_own_left_behind()
    {
        var fast = TestClasses.Where(type => Speeds(type) is [Speed.Fast]).ToList();

        Assert.Contains(typeof(AppHostModelTests), fast);
        // A fast test that started the real AppHost would leave MySQL's volume, which issue 17 found after CI runs.
        Assert.All(fast, type => Assert.True(type.GetCustomAttribute<LeavesNoAppHostDataAttribute>() is not null,
            $"{type.Name} is marked fast but not [LeavesNoAppHostData]"));
    }

    private static List<string> Speeds(Type type) =>
        type.GetCustomAttributesData()
            .Where(attribute => attribute.AttributeType == typeof(TraitAttribute) && (string?)attribute.ConstructorArguments[0].Value == Speed.Name)
            .Select(attribute => (string)attribute.ConstructorArguments[1].Value!)
            .ToList();
}
