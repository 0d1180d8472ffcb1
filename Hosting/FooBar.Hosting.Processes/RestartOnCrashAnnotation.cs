namespace FooBar.Hosting;

/// <summary>
/// Marks a resource that the AppHost restarts when it exits without anyone asking, and holds the back-off: the wait
/// doubles from <see cref="FirstDelay"/> with each failed attempt, up to <see cref="MaxDelay"/>, and the count starts
/// again once an instance has been healthy for <see cref="ResetAfter"/>.
/// </summary>
/// <param name="firstDelay">The wait before the first restart.</param>
/// <param name="maxDelay">The longest wait between restarts.</param>
/// <param name="resetAfter">How long an instance must stay healthy for its next crash to count as the first again.</param>
public sealed class RestartOnCrashAnnotation(TimeSpan firstDelay, TimeSpan maxDelay, TimeSpan resetAfter) : IResourceAnnotation
{
    /// <summary>The wait before the first restart.</summary>
    public TimeSpan FirstDelay { get; } = firstDelay > TimeSpan.Zero ? firstDelay
        : throw new ArgumentOutOfRangeException(nameof(firstDelay), firstDelay, "The first delay must be positive.");

    /// <summary>The longest wait between restarts.</summary>
    public TimeSpan MaxDelay { get; } = maxDelay >= firstDelay ? maxDelay
        : throw new ArgumentOutOfRangeException(nameof(maxDelay), maxDelay, "The longest delay must not be shorter than the first.");

    /// <summary>How long an instance must stay healthy for its next crash to count as the first again.</summary>
    public TimeSpan ResetAfter { get; } = resetAfter;

    /// <summary>The wait before restart number <paramref name="attempt"/> (counted from 1): 1 s, 2 s, 4 s … up to <see cref="MaxDelay"/>.</summary>
    /// <returns>The wait.</returns>
    public TimeSpan DelayBefore(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        // Doubling past the cap overflows long before 63 attempts; stop doubling once the cap is reached.
        var delay = FirstDelay;
        for (var i = 1; i < attempt && delay < MaxDelay; i++)
        {
            delay *= 2;
        }
        return delay < MaxDelay ? delay : MaxDelay;
    }
}
