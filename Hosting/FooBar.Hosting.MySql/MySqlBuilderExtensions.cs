using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.MySql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace FooBar.Hosting;

/// <summary>
/// MySQL hosting in the shape of the official Aspire.Hosting.MySql API, which the package registry here
/// does not serve. The container follows the official mysql image's contract.
/// </summary>
public static class MySqlBuilderExtensions
{
    private const string DataDirectory = "/var/lib/mysql";
    private const string InitDirectory = "/docker-entrypoint-initdb.d";

    /// <summary>Adds a MySQL server container; without <paramref name="password"/> a root password is generated.</summary>
    /// <remarks>
    /// <para>
    /// This version defaults to the <inheritdoc cref="MySqlContainerImageTags.Tag"/> tag of the
    /// <inheritdoc cref="MySqlContainerImageTags.Image"/> image from <inheritdoc cref="MySqlContainerImageTags.Registry"/>.
    /// The server is healthy once it answers a query with its own connection string.
    /// </para>
    /// <para>
    /// Root logs in through the container's socket and, over the network, from this host only (the address the
    /// host's connections arrive from, on each start); the server's connection string, which logs in as root,
    /// therefore works here and nowhere else.
    /// </para>
    /// </remarks>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="name">The resource's name, also its connection string's name.</param>
    /// <param name="password">Root's password; generated and kept in the AppHost's user secrets when null.</param>
    /// <param name="port">The host port MySQL is published on (on loopback); a free one when null.</param>
    /// <returns>The server's resource builder.</returns>
    /// <example>
    /// A server whose data outlives its container, with one database:
    /// <code lang="csharp">
    /// var mysql = builder.AddMySql("mysql").WithDataVolume();
    /// var database = mysql.AddDatabase("appdb");
    /// builder.AddProject&lt;Projects.App&gt;("app").WithReference(database).WaitFor(database);
    /// </code>
    /// </example>
    public static IResourceBuilder<MySqlServerResource> AddMySql(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, IResourceBuilder<ParameterResource>? password = null, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

        // Letters and digits only: a password goes into connection strings as it is.
        var passwordParameter = password?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var server = new MySqlServerResource(name, passwordParameter);

        // Databases beyond MYSQL_DATABASE's one, and their users, are created once the server accepts queries.
        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (@event, ct) =>
            await CreateDatabasesAsync(server, await server.ConnectionStringExpression.GetValueAsync(ct),
                @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server), ct));

        // Root's network login follows this host's address, which each run's Docker network sets anew.
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            MySqlRootLogin.KeepForThisHost(server, @event.Services);
            return Task.CompletedTask;
        });

        return builder.AddResourceWithQueryHealthCheck(server)
            // Published straight to loopback: no proxy of Aspire's between the app and its queries.
            .WithEndpoint(port: port, targetPort: 3306, name: MySqlServerResource.PrimaryEndpointName, isProxied: false)
            .WithImage(MySqlContainerImageTags.Image, MySqlContainerImageTags.Tag)
            .WithImageRegistry(MySqlContainerImageTags.Registry)
            // In a published stack's container: TCP answers once the real server runs (the image's first-start server
            // listens on its socket only), and mysqladmin's ping needs no login, so no password is involved.
            .WithAnnotation(new ContainerHealthCheckAnnotation(["CMD", "mysqladmin", "ping", "--protocol=tcp", "--host=127.0.0.1", "--silent"]))
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["MYSQL_ROOT_PASSWORD"] = server.PasswordParameter;
                // The image's contract: a new data directory gets root for the socket only, not root@'%'.
                context.EnvironmentVariables["MYSQL_ROOT_HOST"] = "localhost";
                AddImageMadeDatabase(context, server);
            });
    }

    /// <summary>
    /// Sets the server's connection limit (<c>max_connections</c>), on a cluster every node's: the one number that the
    /// clients' pools share, so that they can be sized from it instead of from a default assumed here.
    /// </summary>
    /// <typeparam name="T">A server or a cluster.</typeparam>
    /// <param name="builder">The server's or cluster's resource builder.</param>
    /// <param name="connections">The most connections the server accepts: at least one.</param>
    /// <returns>The server's or cluster's resource builder.</returns>
    public static IResourceBuilder<T> WithMaxConnections<T>(this IResourceBuilder<T> builder, int connections)
        where T : IMySqlServerResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfLessThan(connections, 1);
        // The images' contract: options alone run the server with them (mysqld --max-connections=N).
        var option = $"--max-connections={connections.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        IEnumerable<IResource> servers = builder.Resource is MySqlClusterResource cluster ? cluster.Nodes : [builder.Resource];
        foreach (var server in servers.OfType<ContainerResource>())
        {
            builder.ApplicationBuilder.CreateResourceBuilder(server).WithArgs(option);
        }
        return builder;
    }

    /// <summary>
    /// A published stack has no AppHost to make the database and its login when the server is ready: the image makes
    /// one of each on its first start (the login from any address, with all rights on the database); on a cluster, the
    /// node that bootstraps it, for every node.
    /// </summary>
    internal static void AddImageMadeDatabase(EnvironmentCallbackContext context, IMySqlServerResource server)
    {
        if (context.ExecutionContext.IsPublishMode && server.DatabaseResources is [var database, ..])
        {
            context.EnvironmentVariables["MYSQL_DATABASE"] = database.DatabaseName;
            if (database.Users is [var user, ..])
            {
                context.EnvironmentVariables["MYSQL_USER"] = user.UserName;
                context.EnvironmentVariables["MYSQL_PASSWORD"] = user.PasswordParameter;
            }
        }
    }

    /// <summary>
    /// Adds a database, created on the server when the server is ready (on a cluster: on its first synced node, once,
    /// and replicated to the others), and healthy once it can be queried.
    /// </summary>
    /// <typeparam name="T">A server or a cluster.</typeparam>
    /// <param name="builder">The server's or cluster's resource builder.</param>
    /// <param name="name">The resource's name, also its connection string's name.</param>
    /// <param name="databaseName">The database's name on the server; <paramref name="name"/> when null.</param>
    /// <returns>The database's resource builder.</returns>
    public static IResourceBuilder<MySqlDatabaseResource> AddDatabase<T>(this IResourceBuilder<T> builder,
        [ResourceName] string name, string? databaseName = null)
        where T : IMySqlServerResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

        var database = new MySqlDatabaseResource(name, databaseName ?? name, builder.Resource);
        builder.Resource.AddDatabase(database);

        return builder.ApplicationBuilder.AddResourceWithQueryHealthCheck(database);
    }

    /// <summary>
    /// Adds a login with rights on this database only: reading and writing its rows and changing its schema
    /// (an app that migrates its own tables needs that), nothing on other databases or on the server.
    /// Without <paramref name="password"/> one is generated.
    /// </summary>
    /// <remarks>
    /// The login works from this host only, where the AppHost runs its projects: it is made for the address the
    /// host's connections arrive from, and the same user's logins from any other host are dropped.
    /// </remarks>
    /// <param name="builder">The database's resource builder.</param>
    /// <param name="name">The resource's name, also its connection string's name.</param>
    /// <param name="userName">The MySQL user name: 1 to 32 ASCII letters, digits or underscores; <paramref name="name"/> when null.</param>
    /// <param name="password">The user's password; generated and kept in the AppHost's user secrets when null.</param>
    /// <returns>The user's resource builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="userName"/> (or <paramref name="name"/>) is not a valid user name.</exception>
    /// <example>
    /// The app logs in as <c>app_web</c>, never as root:
    /// <code lang="csharp">
    /// var login = database.AddUser("appdb-web", userName: "app_web");
    /// builder.AddProject&lt;Projects.App&gt;("app").WithReference(login, connectionName: "appdb").WaitFor(login);
    /// </code>
    /// </example>
    public static IResourceBuilder<MySqlUserResource> AddUser(this IResourceBuilder<MySqlDatabaseResource> builder,
        [ResourceName] string name, string? userName = null, IResourceBuilder<ParameterResource>? password = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

        userName ??= name;
        // User names go into account names ('name'@'host'); keep them to characters that need no quoting.
        if (userName.Length is 0 or > 32 || !userName.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException($"MySQL user name '{userName}' must be 1 to 32 ASCII letters, digits or underscores.", nameof(userName));
        }
        var passwordParameter = password?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder.ApplicationBuilder, $"{name}-password", special: false);
        var user = new MySqlUserResource(name, userName, passwordParameter, builder.Resource);
        builder.Resource.AddUser(user);

        return builder.ApplicationBuilder.AddResourceWithQueryHealthCheck(user);
    }

    /// <summary>Keeps the data directory in a named volume, so data outlives the container.</summary>
    /// <param name="builder">The server's resource builder.</param>
    /// <param name="name">The volume's name; one made from the AppHost's and the resource's names when null.</param>
    /// <param name="isReadOnly">Whether the volume is mounted read-only.</param>
    /// <returns>The server's resource builder.</returns>
    public static IResourceBuilder<MySqlServerResource> WithDataVolume(this IResourceBuilder<MySqlServerResource> builder,
        string? name = null, bool isReadOnly = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithVolume(name ?? VolumeNameGenerator.Generate(builder, "data"), DataDirectory, isReadOnly);
    }

    /// <summary>Keeps the data directory in a host folder.</summary>
    /// <param name="builder">The server's resource builder.</param>
    /// <param name="source">The host folder.</param>
    /// <param name="isReadOnly">Whether the folder is mounted read-only.</param>
    /// <returns>The server's resource builder.</returns>
    public static IResourceBuilder<MySqlServerResource> WithDataBindMount(this IResourceBuilder<MySqlServerResource> builder,
        string source, bool isReadOnly = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(source);
        return builder.WithBindMount(source, DataDirectory, isReadOnly);
    }

    /// <summary>
    /// Copies the .sql, .sql.gz and .sh files of <paramref name="source"/> into the image's init directory;
    /// they run once, when the data directory is first created.
    /// </summary>
    /// <param name="builder">The server's resource builder.</param>
    /// <param name="source">The folder of init files, relative to the AppHost's folder or absolute.</param>
    /// <returns>The server's resource builder.</returns>
    public static IResourceBuilder<MySqlServerResource> WithInitFiles(this IResourceBuilder<MySqlServerResource> builder, string source)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(source);
        return builder.WithContainerFiles(InitDirectory, Path.GetFullPath(source, builder.ApplicationBuilder.AppHostDirectory));
    }

    /// <summary>
    /// Creates <paramref name="server"/>'s databases and their logins, logged in as root with <paramref name="rootConnectionString"/>;
    /// every statement is idempotent.
    /// </summary>
    internal static async Task CreateDatabasesAsync(IMySqlServerResource server, string? rootConnectionString, ILogger logger, CancellationToken ct)
    {
        await using var connection = new MySqlConnection(rootConnectionString);
        await connection.OpenAsync(ct);
        // Apps run on this host, as the AppHost does: their logins are for the address its connections arrive from.
        var thisHost = (string)(await ScalarAsync(connection, "SELECT SUBSTRING_INDEX(USER(), '@', -1)", ct))!;
        foreach (var database in server.DatabaseResources)
        {
            await ExecuteAsync(connection, $"CREATE DATABASE IF NOT EXISTS {QuoteIdentifier(database.DatabaseName)}", ct);
            logger.LogInformation("Database {Database} is ready", database.DatabaseName);

            foreach (var user in database.Users)
            {
                await CreateUserAsync(connection, user, thisHost, ct);
                logger.LogInformation("User {User} may use database {Database}, from {Host} (this host) only", user.UserName, database.DatabaseName, thisHost);
            }
        }
        foreach (var login in server.Annotations.OfType<MySqlExporterLoginAnnotation>())
        {
            await CreateExporterLoginAsync(connection, login, thisHost, ct);
            logger.LogInformation("User {User} may read the server's status for its metrics exporter, from {Host} (this host) only", login.UserName, thisHost);
        }
    }

    // Healthy once a query succeeds with the resource's own connection string, so that WaitFor means
    // "accepting queries" (for a user: "can log in") rather than "container started".
    private static IResourceBuilder<T> AddResourceWithQueryHealthCheck<T>(this IDistributedApplicationBuilder builder, T resource)
        where T : IResourceWithConnectionString
    {
        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(resource, async (_, ct) =>
            connectionString = await resource.ConnectionStringExpression.GetValueAsync(ct));

        var healthCheckKey = $"{resource.Name}_check";
        builder.Services.AddHealthChecks().AddTypeActivatedCheck<MySqlResourceHealthCheck>(healthCheckKey, new Func<string?>(() => connectionString));
        return builder.AddResource(resource).WithHealthCheck(healthCheckKey);
    }

    // The statements are idempotent, and the password is set every time: a data volume outlives a
    // regenerated password, and this host's address changes with each run's Docker network.
    private static Task CreateUserAsync(MySqlConnection connection, MySqlUserResource user, string host, CancellationToken ct) =>
        CreateLoginAsync(connection, user.UserName, user.PasswordParameter, host,
            account => [$"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, REFERENCES ON {QuoteIdentifier(user.Parent.DatabaseName)}.* TO {account}"], ct);

    // The metrics exporter's login: at most a few connections of its own, so a stuck scrape never takes the app's.
    private static Task CreateExporterLoginAsync(MySqlConnection connection, MySqlExporterLoginAnnotation login, string host, CancellationToken ct) =>
        CreateLoginAsync(connection, login.UserName, login.Password, host,
            account => [.. login.GrantStatements(account), $"ALTER USER {account} WITH MAX_USER_CONNECTIONS 3"], ct);

    // A login from this host only with exactly the rights its statements give the account.
    private static async Task CreateLoginAsync(MySqlConnection connection, string userName, ParameterResource passwordParameter,
        string host, Func<string, IEnumerable<string>> grants, CancellationToken ct)
    {
        var password = await passwordParameter.GetValueAsync(ct);
        var account = $"'{userName}'@{MySqlRootLogin.Literal(host)}";
        await ExecuteAsync(connection, $"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY @password", ct, password);
        await ExecuteAsync(connection, $"ALTER USER {account} IDENTIFIED BY @password", ct, password);
        foreach (var grant in grants(account))
        {
            await ExecuteAsync(connection, grant, ct);
        }

        // Its logins from elsewhere: '%' from before, or this host's address on an earlier run's network.
        var others = new List<string>();
        await using (var query = new MySqlCommand("SELECT Host FROM mysql.user WHERE User = @user AND Host <> @host", connection))
        {
            query.Parameters.AddWithValue("@user", userName);
            query.Parameters.AddWithValue("@host", host);
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                others.Add(reader.GetString(0));
            }
        }
        foreach (var other in others)
        {
            await ExecuteAsync(connection, $"DROP USER '{userName}'@{MySqlRootLogin.Literal(other)}", ct);
        }
    }

    private static async Task<object?> ScalarAsync(MySqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(ct);
    }

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken ct, string? password = null)
    {
        await using var command = new MySqlCommand(sql, connection);
        if (password is not null)
        {
            command.Parameters.AddWithValue("@password", password);
        }
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string QuoteIdentifier(string identifier) => new MySqlCommandBuilder().QuoteIdentifier(identifier);
}
