namespace FooBar.Hosting;

/// <summary>
/// A resource's health check as a command run inside its container, for an orchestrator that checks containers
/// itself (a Swarm stack's <c>healthcheck:</c>), where the AppHost's own check (a query from this host) cannot run.
/// HTTP checks need none: <c>WithHttpHealthProbe</c> records theirs (<see cref="HttpHealthCheckAnnotation"/>).
/// </summary>
/// <param name="test">The command in Docker's exec form, such as <c>["CMD", "mysqladmin", "ping"]</c>; exit code 0 means healthy.</param>
public sealed class ContainerHealthCheckAnnotation(IReadOnlyList<string> test) : IResourceAnnotation
{
    /// <summary>The command in Docker's exec form; exit code 0 means healthy.</summary>
    public IReadOnlyList<string> Test { get; } = test is ["CMD" or "CMD-SHELL", _, ..] ? test
        : throw new ArgumentException("A container health check starts with CMD or CMD-SHELL and names a command.", nameof(test));
}
