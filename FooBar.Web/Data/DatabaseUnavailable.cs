using System.Diagnostics;
using System.Net.Sockets;
using MySqlConnector;

namespace FooBar.Web.Data;

/// <summary>Tells "MySQL cannot be reached right now" apart from a bug, so a page can answer 503 instead of 500.</summary>
public static class DatabaseUnavailable
{
    /// <summary>How long a visitor is told to wait before trying again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(10);

    // MariaDB's ER_CONNECTION_KILLED, which MySqlConnector's error-code list does not name.
    private const MySqlErrorCode ConnectionKilled = (MySqlErrorCode)1927;

    // Galera's answer from a node that is not (yet) part of the synced cluster: "WSREP has not yet prepared node for application use".
    private const MySqlErrorCode NodeNotReady = (MySqlErrorCode)1047;

    /// <summary>
    /// True when <paramref name="exception"/> (or one it wraps) says the server could not be reached, went away
    /// mid-query or is shutting down; false for everything else, such as SQL errors, which stay 500s.
    /// </summary>
    public static bool Is(Exception exception) => exception switch
    {
        MySqlException { ErrorCode: MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.ServerShutdown
            or MySqlErrorCode.QueryInterrupted or ConnectionKilled or NodeNotReady } => true,
        // Lock and deadlock timeouts (Galera's certification failures among them), too many connections: retrying can succeed.
        MySqlException { IsTransient: true } => true,
        // The connection broke while a query was in flight ("Failed to read the result set", end of stream).
        MySqlEndOfStreamException or MySqlProtocolException => true,
        IOException or SocketException when ThrownInMySqlConnector(exception) => true,
        _ when exception.InnerException is { } inner => Is(inner) || (exception is MySqlException && IsBrokenConnection(inner)),
        _ => false,
    };

    // MySqlConnector wraps the socket's failure in a MySqlException of its own.
    private static bool IsBrokenConnection(Exception exception) =>
        exception is IOException or SocketException || exception.InnerException is { } inner && IsBrokenConnection(inner);

    // An I/O error is the database's only when MySqlConnector was on the stack talking to the server.
    private static bool ThrownInMySqlConnector(Exception exception) =>
        new StackTrace(exception).GetFrames().Any(frame => frame.GetMethod()?.DeclaringType?.Assembly == typeof(MySqlConnection).Assembly);
}
