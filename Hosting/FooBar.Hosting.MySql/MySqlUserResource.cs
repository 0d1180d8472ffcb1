namespace FooBar.Hosting;

/// <summary>
/// A login on a <see cref="MySqlServerResource"/> with rights on one database only, from this host only; referencing it
/// passes a connection string that logs in as this user, so an app never needs root's password.
/// </summary>
/// <param name="name">The resource's name, also its connection string's name.</param>
/// <param name="userName">The MySQL user name.</param>
/// <param name="password">The parameter holding the user's password.</param>
/// <param name="parent">The database the user has rights on.</param>
public sealed class MySqlUserResource(string name, string userName, ParameterResource password, MySqlDatabaseResource parent)
    : Resource(name), IResourceWithParent<MySqlDatabaseResource>, IResourceWithConnectionString
{
    /// <summary>Gets the database the user has rights on.</summary>
    public MySqlDatabaseResource Parent { get; } = parent ?? throw new ArgumentNullException(nameof(parent));

    /// <summary>Gets the MySQL user name.</summary>
    public string UserName { get; } = userName;

    /// <summary>Gets the parameter holding the user's password.</summary>
    public ParameterResource PasswordParameter { get; } = password ?? throw new ArgumentNullException(nameof(password));

    /// <summary>Gets the connection string that logs in as this user with its database selected.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        Parent.Parent.BuildConnectionString(UserName, PasswordParameter, Parent.DatabaseName);
}
