using MySqlConnector;

namespace FooBar.Web.Data;

/// <summary>
/// Runs a database call, and runs it again when its database node went away or refused it for a moment
/// (<see cref="DatabaseUnavailable"/>): once more for each node (twice with one node), after a short pause, each time on
/// a new connection that tries another node first. Only calls that are safe to run twice come here: reads,
/// and writes made idempotent by a key (a post's <see cref="PostKey"/>).
/// </summary>
public sealed class DatabaseRetry : IDisposable
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(50);

    private readonly MySqlDataSource _pooled;
    private readonly MySqlDataSource[] _fresh;
    private readonly ILogger<DatabaseRetry> _logger;

    public DatabaseRetry(MySqlDataSource pooled, ILogger<DatabaseRetry> logger)
    {
        _pooled = pooled;
        _logger = logger;
        // The pool may still hold connections to a node that went away: a retry opens its own connection, and each one
        // starts from the next node in the list, so the retries together try every node first once.
        var settings = new MySqlConnectionStringBuilder(pooled.ConnectionString) { Pooling = false };
        var hosts = settings.Server.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        _fresh = Enumerable.Range(1, Math.Max(2, hosts.Length))
            .Select(shift => new MySqlDataSource(new MySqlConnectionStringBuilder(settings.ConnectionString)
            {
                Server = string.Join(',', hosts.Skip(shift % hosts.Length).Concat(hosts.Take(shift % hosts.Length))),
            }.ConnectionString))
            .ToArray();
    }

    /// <summary>
    /// Opens a connection and runs <paramref name="call"/> on it with <paramref name="state"/> (pass what the call needs
    /// there, so a static lambda allocates nothing); returns what it returns, or throws what the last attempt threw.
    /// </summary>
    public async Task<TResult> RunAsync<TState, TResult>(TState state,
        Func<MySqlConnection, TState, CancellationToken, Task<TResult>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = attempt == 0
                    ? await _pooled.OpenConnectionAsync(cancellationToken)
                    : await _fresh[attempt - 1].OpenConnectionAsync(cancellationToken);
                return await call(connection, state, cancellationToken);
            }
            catch (Exception exception) when (attempt < _fresh.Length && !cancellationToken.IsCancellationRequested
                && DatabaseUnavailable.Is(exception))
            {
                _logger.LogWarning("Database call failed ({Reason}); trying again on a new connection ({Attempt} of {Attempts})",
                    exception.Message, attempt + 2, _fresh.Length + 1);
            }
            // 50 ms, then 100 ms, ...: long enough for a node's refusal to be a different answer, short for a visitor.
            await Task.Delay(FirstPause * (1 << attempt), cancellationToken);
        }
    }

    public void Dispose()
    {
        foreach (var source in _fresh)
        {
            source.Dispose();
        }
    }
}
