namespace FooBar.Hosting;

/// <summary>
/// What MySQL databases live on: one server (<see cref="MySqlServerResource"/>) or a cluster of nodes that each hold
/// every database (<see cref="MySqlClusterResource"/>). It owns its databases (<see cref="MySqlDatabaseResource"/>),
/// makes them when it is ready, and builds every connection string of theirs; its own logs in as root.
/// </summary>
public interface IMySqlServerResource : IResourceWithConnectionString
{
    /// <summary>Gets the parameter holding root's password.</summary>
    ParameterResource PasswordParameter { get; }

    /// <summary>Gets the database resources' names and the databases they stand for.</summary>
    IReadOnlyDictionary<string, string> Databases { get; }

    /// <summary>Gets the databases, created once the server (or a node of the cluster) accepts queries.</summary>
    internal IReadOnlyList<MySqlDatabaseResource> DatabaseResources { get; }

    internal void AddDatabase(MySqlDatabaseResource database);

    /// <summary>A connection string that logs in as <paramref name="userName"/>, with <paramref name="databaseName"/> selected if one is given.</summary>
    internal ReferenceExpression BuildConnectionString(string userName, ParameterResource password, string? databaseName = null);
}
