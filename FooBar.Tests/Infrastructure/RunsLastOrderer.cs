using Xunit.Abstractions;
using Xunit.Sdk;

namespace FooBar.Tests.Infrastructure;

/// <summary>Marks the test of a class that ends what its fixture started (such as taking a stack down): it runs after the others.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RunsLastAttribute : Attribute;

/// <summary>Runs a class's tests in xunit's own order, but those marked <see cref="RunsLastAttribute"/> after all the others.</summary>
public sealed class RunsLastOrderer : ITestCaseOrderer
{
    /// <summary>For <c>[TestCaseOrderer(RunsLastOrderer.TypeName, RunsLastOrderer.AssemblyName)]</c>, which takes names only.</summary>
    public const string TypeName = "FooBar.Tests.Infrastructure.RunsLastOrderer";
    public const string AssemblyName = "FooBar.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase
    {
        var cases = testCases.ToList();
        return cases.Where(c => !RunsLast(c)).Concat(cases.Where(c => RunsLast(c)));
    }

    private static bool RunsLast(ITestCase testCase) =>
        testCase.TestMethod.Method.GetCustomAttributes(typeof(RunsLastAttribute).AssemblyQualifiedName).Any();
}
