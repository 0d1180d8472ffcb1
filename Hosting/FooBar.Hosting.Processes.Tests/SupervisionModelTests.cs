namespace FooBar.Hosting.Processes.Tests;

/// <summary>Supervision on a model built but never run: how restart on crash wraps Aspire's own commands. No Docker.</summary>
[Trait("Speed", "Fast")]
public sealed class SupervisionModelTests
{
    // WithRestartOnCrash tells a person's stop from a crash by wrapping Aspire's own Stop, Restart and Rebuild commands
    // (Aspire 13.6 has no public event for a command about to run): this fails if Aspire's command annotation gains a
    // part the wrapper would not copy, or if the commands it wraps are no longer found by their names.
    [Fact]
    public async Task Restart_on_crash_wraps_Aspires_stopping_commands_keeping_every_part_but_the_action()
    {
        var builder = DistributedApplication.CreateBuilder();
        var web = builder.AddExecutable("web", "dotnet", ".").WithRestartOnCrash();
        var executed = new List<string>();
        string[] stopping = [KnownResourceCommands.StopCommand, KnownResourceCommands.RestartCommand, KnownResourceCommands.RebuildCommand];
        // As Aspire adds its lifecycle commands, just before the first start.
        var originals = stopping.Append(KnownResourceCommands.StartCommand).Select(name => new ResourceCommandAnnotation(name, $"{name} shown",
            _ => ResourceCommandState.Enabled, _ => { executed.Add(name); return Task.FromResult(CommandResults.Success()); },
            "described", [], "sure?", "Icon", IconVariant.Filled, isHighlighted: true, ResourceCommandVisibility.UI, validateArguments: null)).ToList();
        foreach (var command in originals)
        {
            web.Resource.Annotations.Add(command);
        }

        using var app = builder.Build();
        await builder.Eventing.PublishAsync(new BeforeResourceStartedEvent(web.Resource, app.Services));

        var commands = web.Resource.Annotations.OfType<ResourceCommandAnnotation>().ToList();
        Assert.Equal(originals.Select(c => c.Name), commands.Select(c => c.Name));
        var parts = typeof(ResourceCommandAnnotation).GetProperties().Where(p => p.Name != nameof(ResourceCommandAnnotation.ExecuteCommand)).ToList();
        foreach (var (original, command) in originals.Zip(commands, (o, c) => (o, c)))
        {
            Assert.Equal(stopping.Contains(original.Name), !ReferenceEquals(original, command));
            Assert.All(parts, part => Assert.Equal(part.GetValue(original), part.GetValue(command)));
            var result = await command.ExecuteCommand(new ExecuteCommandContext
            {
                Services = app.Services, ResourceName = web.Resource.Name, CancellationToken = CancellationToken.None,
                Logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, Arguments = new([]),
            });
            Assert.True(result.Success);
        }
        Assert.Equal(originals.Select(c => c.Name), executed);
    }
}
