namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A login on a <see cref="MySqlServerResource"/> with rights on one database only, from this host only; referencing it
/// passes a connection string that logs in as this user, so an app never needs root's password.
/// </summary>
public sealed class MySqlUserResource(string name, string userName, ParameterResource password, MySqlDatabaseResource parent)
    : Resource(name), IResourceWithParent<MySqlDatabaseResource>, IResourceWithConnectionString
{
    public MySqlDatabaseResource Parent { get; } = parent;

    public string UserName { get; } = userName;

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var endpoint = Parent.Parent.PrimaryEndpoint;
            return ReferenceExpression.Create(
                $"Server={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};User ID={UserName};Password={PasswordParameter};Database={Parent.DatabaseName}");
        }
    }
}
