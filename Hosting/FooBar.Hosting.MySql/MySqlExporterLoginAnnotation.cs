namespace FooBar.Hosting.MySql;

/// <summary>A server's or cluster's login for its metrics exporter, made with the databases' logins, from this host only.</summary>
/// <param name="UserName">The MySQL user name.</param>
/// <param name="Password">The parameter holding its password.</param>
internal sealed record MySqlExporterLoginAnnotation(string UserName, ParameterResource Password) : IResourceAnnotation
{
    /// <summary>The statements, idempotent, that give <paramref name="account"/> the exporter's rights and no others.</summary>
    public IEnumerable<string> GrantStatements(string account) =>
        MySqlMetricsExtensions.ExporterGrants.Select(grant => $"GRANT {grant} TO {account}");
}
