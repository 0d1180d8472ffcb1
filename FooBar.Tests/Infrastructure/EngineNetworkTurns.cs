namespace FooBar.Tests.Infrastructure;

/// <summary>
/// Leaving a swarm rebuilds the Docker engine's networking, and a container that DCP creates and connects to its network
/// in those seconds gets an endpoint that reaches nothing (a Galera node restarted then saw no peer for 3 minutes, in a
/// full run on 2026-12-08). So the swarm's <c>down</c> waits until no stack is starting and no test is stopping, killing
/// or restarting containers, and those wait while it runs; they do not wait for each other.
/// </summary>
public sealed class EngineNetworkTurns
{
    /// <summary>The test run's one engine.</summary>
    public static EngineNetworkTurns Engine { get; } = new();

    private readonly object _gate = new();
    private int _sharing;
    private bool _exclusiveWanted;
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>For a stack's start or a test that recreates containers: waits while the swarm's down runs or waits.</summary>
    public async Task<IDisposable> ShareAsync()
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (!_exclusiveWanted)
                {
                    _sharing++;
                    return new Held(this, exclusive: false);
                }
                changed = _changed.Task;
            }
            await changed;
        }
    }

    /// <summary>For the swarm's down: waits until nothing shares the engine's networking, and keeps new sharers out.</summary>
    public async Task<IDisposable> TakeExclusiveAsync()
    {
        var wanted = false;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (!wanted && !_exclusiveWanted)
                {
                    _exclusiveWanted = wanted = true;
                }
                if (wanted && _sharing == 0)
                {
                    return new Held(this, exclusive: true);
                }
                changed = _changed.Task;
            }
            await changed;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Release(bool exclusive)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (exclusive)
            {
                _exclusiveWanted = false;
            }
            else
            {
                _sharing--;
            }
            changed = _changed;
            _changed = NewSignal();
        }
        changed.SetResult();
    }

    private sealed class Held(EngineNetworkTurns turns, bool exclusive) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turns.Release(exclusive);
            }
        }
    }
}

/// <summary>A test class whose every test shares <see cref="EngineNetworkTurns"/> while it runs: it recreates containers.</summary>
public abstract class RecreatesContainers : IAsyncLifetime
{
    private IDisposable? _turn;

    public async Task InitializeAsync() => _turn = await EngineNetworkTurns.Engine.ShareAsync();

    public Task DisposeAsync()
    {
        _turn?.Dispose();
        return Task.CompletedTask;
    }
}
