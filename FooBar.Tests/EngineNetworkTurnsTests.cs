using FooBar.Tests.Infrastructure;

namespace FooBar.Tests;

/// <summary>The turns that keep the swarm's down away from containers being created: sharers together, the exclusive one alone.</summary>
[Trait(Speed.Name, Speed.Fast), LeavesNoAppHostData]
public sealed class EngineNetworkTurnsTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Sharers_do_not_wait_for_each_other_and_the_exclusive_turn_waits_for_every_sharer_and_holds_new_ones_back()
    {
        var turns = new EngineNetworkTurns();
        var first = await turns.ShareAsync().WaitAsync(Soon);
        var second = await turns.ShareAsync().WaitAsync(Soon);

        var exclusive = turns.TakeExclusiveAsync();
        first.Dispose();
        Assert.False(exclusive.IsCompleted, "the exclusive turn began while a sharer still held it");
        // Wanted, it keeps a new sharer out, so that a steady stream of tests cannot starve the swarm's down.
        var late = turns.ShareAsync();
        second.Dispose();
        var held = await exclusive.WaitAsync(Soon);
        Assert.False(late.IsCompleted, "a sharer began while the exclusive turn was held");

        held.Dispose();
        (await late.WaitAsync(Soon)).Dispose();
        // Handed on twice, a turn is released once.
        held.Dispose();
        (await turns.TakeExclusiveAsync().WaitAsync(Soon)).Dispose();
    }
}
