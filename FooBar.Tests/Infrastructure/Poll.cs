namespace FooBar.Tests.Infrastructure;

/// <summary>
/// The tests' one way to wait for something that becomes true in its own time (a server back, telemetry arrived):
/// read, check, pause, until the check holds or the time is up.
/// </summary>
public static class Poll
{
    /// <summary>
    /// Reads every <paramref name="interval"/> until <paramref name="done"/> holds for what was read or
    /// <paramref name="timeout"/> has passed, and returns the last reading, so that the caller's assertion on it
    /// says what was seen.
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, TimeSpan interval)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow >= deadline)
            {
                return value;
            }
            await Task.Delay(interval);
        }
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, asking every <paramref name="interval"/>; fails with
    /// "<paramref name="what"/> did not hold within …" after <paramref name="timeout"/>.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout, TimeSpan interval)
    {
        if (!await UntilAsync(condition, held => held, timeout, interval))
        {
            throw new TimeoutException($"{what} did not hold within {timeout.TotalSeconds:0.#} s");
        }
    }
}
