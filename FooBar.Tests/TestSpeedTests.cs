using System.Reflection;
using System.Text.RegularExpressions;
using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>
/// The speeds that scripts/test.sh --fast selects on (a class without one would run in neither or the wrong run), and what
/// the test sources can be checked for without running them: no thread put to sleep, nothing written to the console.
/// </summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed partial class TestSpeedTests
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

    [Fact]
    public void No_test_source_puts_a_thread_to_sleep_or_writes_to_the_console()
    {
        var sources = TestSources().ToList();

        Assert.Contains(sources, source => source.EndsWith($"{Path.DirectorySeparatorChar}{nameof(TestSpeedTests)}.cs", StringComparison.Ordinal));
        // A fixed sleep blocks a thread the other tests share (poll the condition with Poll.UntilAsync); the console is
        // nobody's output under dotnet test (write to ITestOutputHelper). A line may say why it must, as "// allowed: why".
        var offences = sources
            .SelectMany(source => File.ReadLines(source).Select((line, index) => (Source: source, Line: index + 1, Text: line.Trim())))
            .Where(line => !line.Text.StartsWith("//", StringComparison.Ordinal) && !line.Text.StartsWith('*'))
            .Where(line => BlockingOrConsole().IsMatch(line.Text) && !AllowedWhy().IsMatch(line.Text))
            .Select(line => $"{Path.GetRelativePath(Repository.Root, line.Source)}:{line.Line}: {line.Text}")
            .ToList();
        Assert.True(offences.Count == 0, $"a thread put to sleep or a console write in test code:\n{string.Join("\n", offences)}");
    }

    // Every C# file of every test project (a project that references xunit), not what the build wrote.
    private static IEnumerable<string> TestSources() =>
        Directory.EnumerateFiles(Repository.Root, "*.csproj", SearchOption.AllDirectories)
            .Where(project => !IsBuildOutput(project) && File.ReadAllText(project).Contains("Include=\"xunit\"", StringComparison.Ordinal))
            .SelectMany(project => Directory.EnumerateFiles(Path.GetDirectoryName(project)!, "*.cs", SearchOption.AllDirectories))
            .Where(source => !IsBuildOutput(source))
            .Distinct();

    private static bool IsBuildOutput(string path) =>
        Path.GetRelativePath(Repository.Root, path).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "TestResults" or ".git");

    [GeneratedRegex(@"\bThread\s*\.\s*Sleep\s*\(|\bConsole\s*\.\s*(?:(?:Out|Error)\s*\.\s*)?Write")]
    private static partial Regex BlockingOrConsole();

    [GeneratedRegex(@"//\s*allowed:\s*\S")]
    private static partial Regex AllowedWhy();

    private static List<string> Speeds(Type type) =>
        type.GetCustomAttributesData()
            .Where(attribute => attribute.AttributeType == typeof(TraitAttribute) && (string?)attribute.ConstructorArguments[0].Value == Speed.Name)
            .Select(attribute => (string)attribute.ConstructorArguments[1].Value!)
            .ToList();
}
