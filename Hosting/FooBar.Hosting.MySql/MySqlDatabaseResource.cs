namespace FooBar.Hosting;

/// <summary>
/// A database on a <see cref="MySqlServerResource"/> or a <see cref="MySqlClusterResource"/>, which creates it, and the owner of the logins that have rights on
/// it; referencing it passes a connection string that logs in as root.
/// </summary>
/// <param name="name">The resource's name, also its connection string's name.</param>
/// <param name="databaseName">The database's name on the server.</param>
/// <param name="parent">The server or cluster the database is on.</param>
public sealed class MySqlDatabaseResource(string name, string databaseName, IMySqlServerResource parent)
    : Resource(name), IResourceWithParent<IMySqlServerResource>, IResourceWithConnectionString
{
    private readonly List<MySqlUserResource> _users = [];

    /// <summary>Gets the server or cluster the database is on.</summary>
    public IMySqlServerResource Parent { get; } = parent ?? throw new ArgumentNullException(nameof(parent));

    /// <summary>Gets the database's name on the server.</summary>
    public string DatabaseName { get; } = string.IsNullOrEmpty(databaseName)
        ? throw new ArgumentException("A database needs a name.", nameof(databaseName))
        : databaseName;

    /// <summary>Gets the logins that have rights on this database, created with it.</summary>
    public IReadOnlyList<MySqlUserResource> Users => _users;

    /// <summary>Gets the connection string that logs in as root with this database selected.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        Parent.BuildConnectionString(MySqlServerResource.RootUserName, Parent.PasswordParameter, DatabaseName);

    internal void AddUser(MySqlUserResource user) => _users.Add(user);
}
