namespace FooBar.Tests.Infrastructure;

/// <summary>
/// Every test class carries one speed, as <c>[Trait(Speed.Name, Speed.Fast)]</c> or <c>[Trait(Speed.Name, Speed.Docker)]</c>:
/// <c>scripts/test.sh --fast</c> runs the fast ones alone (<c>--filter Speed=Fast</c>), the full run all of them.
/// </summary>
public static class Speed
{
    public const string Name = "Speed";

    /// <summary>No Docker, no stack: the model, the publisher, the Lua exporter. Seconds.</summary>
    public const string Fast = "Fast";

    /// <summary>Containers or a whole stack. Minutes.</summary>
    public const string Docker = "Docker";
}
