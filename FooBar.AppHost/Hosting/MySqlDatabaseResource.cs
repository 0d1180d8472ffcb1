namespace Aspire.Hosting.ApplicationModel;

/// <summary>A database on a <see cref="MySqlServerResource"/>; referencing it passes its connection string.</summary>
public sealed class MySqlDatabaseResource(string name, string databaseName, MySqlServerResource parent)
    : Resource(name), IResourceWithParent<MySqlServerResource>, IResourceWithConnectionString
{
    private readonly List<MySqlUserResource> _users = [];

    public MySqlServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    /// <summary>The logins that have rights on this database, created with it.</summary>
    public IReadOnlyList<MySqlUserResource> Users => _users;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={DatabaseName}");

    internal void AddUser(MySqlUserResource user) => _users.Add(user);
}
