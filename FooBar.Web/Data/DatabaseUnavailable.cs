using MySqlConnector;

namespace FooBar.Web.Data;

/// <summary>Tells "MySQL cannot be reached right now" apart from a bug, so a page can answer 503 instead of 500.</summary>
public static class DatabaseUnavailable
{
    /// <summary>How long a visitor is told to wait before trying again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(10);

    public static bool Is(Exception exception) => exception switch
    {
        MySqlException { ErrorCode: MySqlErrorCode.UnableToConnectToHost } => true,
        // Connection lost mid-query, server shutting down, lock and deadlock timeouts: retrying can succeed.
        MySqlException { IsTransient: true } => true,
        _ when exception.InnerException is { } inner => Is(inner),
        _ => false,
    };
}
