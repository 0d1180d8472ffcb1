using FooBar.Hosting.MySql;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace FooBar.Hosting.MySql.Tests;

/// <summary>
/// The MySQL integration on a model built but never run, as Aspire's own AddMySqlTests do: images, endpoints,
/// connection strings, who owns what, health checks and argument checks. No Docker engine, no containers: run them
/// alone with <c>scripts/test.sh --filter "FullyQualifiedName~MySqlModelTests"</c>.
/// </summary>
[Trait("Speed", "Fast")]
public sealed class MySqlModelTests
{
    // Names a connection string must carry intact: quotes, a semicolon, spaces, an equals sign, a brace.
    public static TheoryData<string> OddNames => ["my db", "semi;colon", "it's", "say \"hi\"", " padded ", "a=b", "brace{d}"];

    [Fact]
    public async Task AddMySql_runs_the_official_image_published_on_its_own_port_with_roots_password()
    {
        var builder = DistributedApplication.CreateBuilder();
        var password = builder.AddParameter("pass", "secret", secret: true);
        var mysql = builder.AddMySql("mysql", password, port: 13306);

        var image = Assert.Single(mysql.Resource.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal((MySqlContainerImageTags.Registry, MySqlContainerImageTags.Image, MySqlContainerImageTags.Tag), (image.Registry, image.Image, image.Tag));
        var endpoint = Assert.Single(mysql.Resource.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(("tcp", 3306, 13306), (endpoint.Name, endpoint.TargetPort, endpoint.Port));
        // No proxy of Aspire's between the app and its queries.
        Assert.False(endpoint.IsProxied);

        using var app = builder.Build();
        var environment = await EnvironmentAsync(app, mysql.Resource);
        Assert.Equal("secret", environment["MYSQL_ROOT_PASSWORD"]);
        // The official image's contract: a new data directory gets root for the socket only.
        Assert.Equal("localhost", environment["MYSQL_ROOT_HOST"]);
    }

    [Fact]
    public void The_backup_command_is_enabled_only_while_the_server_runs_and_a_schedule_is_a_minute_or_more()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mysql = builder.AddMySql("mysql").WithBackupCommand("/opt/db.sh", ["backup"]);

        var command = Assert.Single(mysql.Resource.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == MySqlBackupExtensions.BackupCommandName);
        Assert.Equal("Back up", command.DisplayName);
        CustomResourceSnapshot Snapshot(string state) => new() { ResourceType = "Container", Properties = [], State = state };
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection().BuildServiceProvider();
        Assert.Equal(ResourceCommandState.Enabled, command.UpdateState(new() { ResourceSnapshot = Snapshot(KnownResourceStates.Running), Services = services }));
        Assert.Equal(ResourceCommandState.Disabled, command.UpdateState(new() { ResourceSnapshot = Snapshot(KnownResourceStates.Exited), Services = services }));
        Assert.Throws<ArgumentException>(() => builder.AddMySql("other").WithBackupCommand("", ["backup"]));
        // A schedule of less than a minute would start a backup before the last one ends.
        Assert.Throws<ArgumentOutOfRangeException>(() => mysql.WithBackupSchedule(TimeSpan.FromSeconds(30), "/opt/db.sh", ["backup"]));
        mysql.WithBackupSchedule(TimeSpan.FromHours(6), "/opt/db.sh", ["backup", "--keep", "7"]);
    }

    [Fact]
    public void A_cluster_has_one_backup_command_of_its_own_and_none_on_its_nodes_and_its_schedule_is_a_minute_or_more()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.Configuration["ContainerImages:mysql"] = "foobar/mysql-compatible:test";
        var cluster = builder.AddMySqlCluster("mysql").WithBackupCommand("/opt/db.sh", ["backup"]);

        var command = Assert.Single(cluster.Resource.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == MySqlBackupExtensions.BackupCommandName);
        Assert.Equal("Back up", command.DisplayName);
        // The command picks a synced node when it runs: the nodes carry none, so no operator backs up a node that is behind.
        Assert.All(cluster.Resource.Nodes, node => Assert.DoesNotContain(node.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == MySqlBackupExtensions.BackupCommandName));
        Assert.Throws<ArgumentException>(() => builder.AddMySqlCluster("other").WithBackupCommand("", ["backup"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.WithBackupSchedule(TimeSpan.FromSeconds(30), "/opt/db.sh", ["backup"]));
        cluster.WithBackupSchedule(TimeSpan.FromHours(6), "/opt/db.sh", ["backup", "--keep", "7"]);
    }

    [Fact]
    public void Passwords_that_are_not_given_are_generated_secrets_named_after_their_resource()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mysql = builder.AddMySql("mysql");
        var user = mysql.AddDatabase("appdb").AddUser("appdb-web", "app_web");

        Assert.Equal("mysql-password", mysql.Resource.PasswordParameter.Name);
        Assert.Equal("appdb-web-password", user.Resource.PasswordParameter.Name);
        Assert.True(mysql.Resource.PasswordParameter.Secret);
        Assert.True(user.Resource.PasswordParameter.Secret);
    }

    [Theory]
    [InlineData("foobar/mysql-compatible:mariadb-10.11", "foobar/mysql-compatible", "mariadb-10.11")]
    [InlineData("registry.example:5000/team/mysql:9.1", "registry.example:5000/team/mysql", "9.1")]
    [InlineData("mariadb", "mariadb", "latest")]
    public void A_configured_image_replaces_the_default_and_brings_its_own_registry(string configured, string image, string tag)
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.Configuration["ContainerImages:mysql"] = configured;

        var mysql = builder.AddMySql("mysql").WithImageFromConfiguration();

        var annotation = Assert.Single(mysql.Resource.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal(((string?)null, image, tag), (annotation.Registry, annotation.Image, annotation.Tag));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void No_configured_image_keeps_the_default(string? configured)
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.Configuration["ContainerImages:mysql"] = configured;
        // Another resource's key is not this one's.
        builder.Configuration["ContainerImages:other"] = "other:1";

        var mysql = builder.AddMySql("mysql").WithImageFromConfiguration();

        var annotation = Assert.Single(mysql.Resource.Annotations.OfType<ContainerImageAnnotation>());
        Assert.Equal((MySqlContainerImageTags.Registry, MySqlContainerImageTags.Image, MySqlContainerImageTags.Tag), (annotation.Registry, annotation.Image, annotation.Tag));
    }

    [Fact]
    public async Task Server_database_and_login_connection_strings_log_in_as_root_or_as_the_user()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mysql = builder.AddMySql("mysql", builder.AddParameter("root-pass", "r00t"))
            .WithEndpoint("tcp", e => e.AllocatedEndpoint = new AllocatedEndpoint(e, "localhost", 2000));
        var database = mysql.AddDatabase("appdb", "app");
        var user = database.AddUser("appdb-web", "app_web", builder.AddParameter("web-pass", "w3b"));

        Assert.Equal("Server={mysql.bindings.tcp.host};Port={mysql.bindings.tcp.port};User ID=root;Password={root-pass.value}",
            mysql.Resource.ConnectionStringExpression.ValueExpression);
        Assert.Equal("Server=localhost;Port=2000;User ID=root;Password=r00t", await mysql.Resource.ConnectionStringExpression.GetValueAsync(default));
        Assert.Equal("Server=localhost;Port=2000;User ID=root;Database=app;Password=r00t", await database.Resource.ConnectionStringExpression.GetValueAsync(default));
        Assert.Equal("Server=localhost;Port=2000;User ID=app_web;Database=app;Password=w3b", await user.Resource.ConnectionStringExpression.GetValueAsync(default));
    }

    [Theory]
    [MemberData(nameof(OddNames))]
    public async Task A_database_name_reaches_the_connection_string_intact(string databaseName)
    {
        var builder = DistributedApplication.CreateBuilder();
        var mysql = builder.AddMySql("mysql", builder.AddParameter("root-pass", "r00t"))
            .WithEndpoint("tcp", e => e.AllocatedEndpoint = new AllocatedEndpoint(e, "localhost", 2000));
        var database = mysql.AddDatabase("appdb", databaseName);
        var user = database.AddUser("appdb-web", "app_web", builder.AddParameter("web-pass", "w3b"));

        foreach (var (expression, userName, password) in new[]
        {
            (database.Resource.ConnectionStringExpression, "root", "r00t"),
            (user.Resource.ConnectionStringExpression, "app_web", "w3b"),
        })
        {
            var parsed = new MySqlConnectionStringBuilder(await expression.GetValueAsync(default) ?? "");
            Assert.Equal(("localhost", 2000u, userName, password, databaseName), (parsed.Server, parsed.Port, parsed.UserID, parsed.Password, parsed.Database));
        }
    }

    [Theory]
    [MemberData(nameof(OddNames))]
    public async Task The_one_connection_string_helper_quotes_user_names_too(string userName)
    {
        var builder = DistributedApplication.CreateBuilder();
        var mysql = builder.AddMySql("mysql")
            .WithEndpoint("tcp", e => e.AllocatedEndpoint = new AllocatedEndpoint(e, "localhost", 2000));
        var password = builder.AddParameter("pass", "p4ss").Resource;

        var parsed = new MySqlConnectionStringBuilder(await mysql.Resource.BuildConnectionString(userName, password, "db;1").GetValueAsync(default) ?? "");

        Assert.Equal((userName, "p4ss", "db;1"), (parsed.UserID, parsed.Password, parsed.Database));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    [InlineData("quo'te")]
    [InlineData("hyphen-ated")]
    [InlineData("ünïcode")]
    [InlineData("a_name_of_thirty_three_characters")]
    public void A_user_name_that_would_need_quoting_in_an_account_name_is_refused(string userName)
    {
        var builder = DistributedApplication.CreateBuilder();
        var database = builder.AddMySql("mysql").AddDatabase("appdb");

        var error = Assert.Throws<ArgumentException>(() => database.AddUser("login", userName));

        Assert.Equal("userName", error.ParamName);
        Assert.Empty(database.Resource.Users);
        Assert.Empty(builder.Resources.OfType<MySqlUserResource>());
    }

    [Fact]
    public void Without_a_user_name_the_resource_name_is_used_and_must_be_valid_too()
    {
        var builder = DistributedApplication.CreateBuilder();
        var database = builder.AddMySql("mysql").AddDatabase("appdb");

        Assert.Equal("appweb", database.AddUser("appweb").Resource.UserName);
        Assert.Equal("a_name_of_thirty_two_characters_", database.AddUser("login", "a_name_of_thirty_two_characters_").Resource.UserName);
        // A resource name may hold hyphens, which a user name may not.
        Assert.Throws<ArgumentException>(() => database.AddUser("appdb-web"));
    }

    [Fact]
    public void A_server_owns_its_databases_and_a_database_its_logins()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mysql = builder.AddMySql("mysql");
        var first = mysql.AddDatabase("first");
        var second = mysql.AddDatabase("second", "second_db");
        var login = first.AddUser("first-web", "first_web");
        // Another server's database is not this one's to create.
        builder.AddMySql("other").AddDatabase("elsewhere");

        Assert.Equal([first.Resource, second.Resource], mysql.Resource.DatabaseResources);
        Assert.Equal(new Dictionary<string, string> { ["first"] = "first", ["second"] = "second_db" }, mysql.Resource.Databases);
        Assert.Same(mysql.Resource, first.Resource.Parent);
        Assert.Equal([login.Resource], first.Resource.Users);
        Assert.Empty(second.Resource.Users);
        Assert.Same(first.Resource, login.Resource.Parent);
    }

    [Fact]
    public async Task Server_database_and_login_are_each_healthy_only_once_their_own_connection_string_answers_a_query()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mysql = builder.AddMySql("mysql");
        var database = mysql.AddDatabase("appdb");
        var login = database.AddUser("appdb-web", "app_web");
        using var app = builder.Build();
        var registrations = app.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations;

        foreach (var resource in new IResource[] { mysql.Resource, database.Resource, login.Resource })
        {
            var key = Assert.Single(resource.Annotations.OfType<HealthCheckAnnotation>()).Key;
            Assert.Equal($"{resource.Name}_check", key);
            var registration = Assert.Single(registrations, r => r.Name == key);
            // Until Aspire publishes the connection string, nothing has been asked yet: not healthy.
            var result = await registration.Factory(app.Services).CheckHealthAsync(new HealthCheckContext { Registration = registration });
            Assert.Equal(HealthStatus.Unhealthy, result.Status);
            Assert.IsType<MySqlResourceHealthCheck>(registration.Factory(app.Services));
        }
    }

    [Fact]
    public void Data_lives_in_a_volume_or_a_host_folder_and_init_files_go_to_the_images_init_directory()
    {
        var builder = DistributedApplication.CreateBuilder();
        var named = builder.AddMySql("named").WithDataVolume("named-data");
        var generated = builder.AddMySql("generated").WithDataVolume();
        var bound = builder.AddMySql("bound").WithDataBindMount("/srv/mysql", isReadOnly: true);
        // Init files are read when the container is made: the folder must exist, though it stays empty here.
        var initFiles = Directory.CreateTempSubdirectory("foobar-initdb-");
        var initialised = builder.AddMySql("initialised").WithInitFiles(initFiles.FullName);
        initFiles.Delete();

        Assert.Single(named.Resource.Annotations.OfType<ContainerMountAnnotation>(),
            m => m is { Source: "named-data", Target: "/var/lib/mysql", Type: ContainerMountType.Volume, IsReadOnly: false });
        var volume = Assert.Single(generated.Resource.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal(("/var/lib/mysql", ContainerMountType.Volume), (volume.Target, volume.Type));
        Assert.EndsWith("-generated-data", volume.Source);
        Assert.Single(bound.Resource.Annotations.OfType<ContainerMountAnnotation>(),
            m => m is { Source: "/srv/mysql", Target: "/var/lib/mysql", Type: ContainerMountType.BindMount, IsReadOnly: true });
        Assert.Single(initialised.Resource.Annotations.OfType<ContainerFileSystemCallbackAnnotation>(),
            f => f.DestinationPath == "/docker-entrypoint-initdb.d");
    }

    [Fact]
    public void Every_builder_checks_its_arguments()
    {
        var builder = DistributedApplication.CreateBuilder();
        var mysql = builder.AddMySql("mysql");
        var database = mysql.AddDatabase("appdb");
        // Through a variable: Aspire's analyser refuses an empty resource name written out.
        var empty = "";

        Assert.Throws<ArgumentNullException>(() => ((IDistributedApplicationBuilder)null!).AddMySql("x"));
        Assert.Throws<ArgumentException>(() => builder.AddMySql(empty));
        Assert.Throws<ArgumentNullException>(() => ((IResourceBuilder<MySqlServerResource>)null!).AddDatabase("x"));
        Assert.Throws<ArgumentException>(() => mysql.AddDatabase(empty));
        Assert.Throws<ArgumentException>(() => mysql.AddDatabase("x", ""));
        Assert.Throws<ArgumentNullException>(() => ((IResourceBuilder<MySqlDatabaseResource>)null!).AddUser("x"));
        Assert.Throws<ArgumentException>(() => database.AddUser(empty));
        Assert.Throws<ArgumentException>(() => mysql.WithDataBindMount(""));
        Assert.Throws<ArgumentException>(() => mysql.WithInitFiles(""));
        Assert.Throws<ArgumentNullException>(() => ((IResourceBuilder<MySqlServerResource>)null!).WithImageFromConfiguration());
        Assert.Throws<ArgumentNullException>(() => new MySqlServerResource("x", null!));
        Assert.Throws<ArgumentNullException>(() => new MySqlDatabaseResource("x", "x", null!));
    }

    [Fact]
    public async Task The_connection_limit_reaches_the_server_and_every_cluster_node_as_a_server_option()
    {
        var builder = DistributedApplication.CreateBuilder();
        builder.Configuration["ContainerImages:mysql"] = "foobar/mysql-compatible:mariadb-10.11";
        var server = builder.AddMySql("single").WithMaxConnections(151);
        var cluster = builder.AddMySqlCluster("cluster").WithMaxConnections(60);

        using var app = builder.Build();
        Assert.Equal(["--max-connections=151"], await ArgumentsAsync(app, server.Resource));
        Assert.Equal(3, cluster.Resource.Nodes.Count);
        foreach (var node in cluster.Resource.Nodes)
        {
            Assert.Equal(["--max-connections=60"], await ArgumentsAsync(app, node));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => server.WithMaxConnections(0));
    }

    private static async Task<string[]> ArgumentsAsync(DistributedApplication app, IResource resource)
    {
        var running = new DistributedApplicationExecutionContext(
            new DistributedApplicationExecutionContextOptions(DistributedApplicationOperation.Run) { Services = app.Services });
        var configuration = await ExecutionConfigurationBuilder.Create(resource).WithArgumentsConfig().BuildAsync(running);
        return [.. configuration.Arguments.Select(argument => argument.Value)];
    }

    [Theory]
    [InlineData(3, 3, HealthStatus.Healthy)]
    [InlineData(2, 3, HealthStatus.Degraded)]
    [InlineData(1, 3, HealthStatus.Unhealthy)]
    [InlineData(0, 3, HealthStatus.Unhealthy)]
    [InlineData(4, 5, HealthStatus.Degraded)]
    [InlineData(3, 5, HealthStatus.Degraded)]
    [InlineData(2, 5, HealthStatus.Unhealthy)]
    public void A_cluster_is_degraded_while_a_majority_but_not_every_node_is_synced_and_unhealthy_without_a_majority(int synced, int nodes, HealthStatus expected)
    {
        var result = MySqlClusterHealthCheck.Judge(synced, nodes, $"{synced} of {nodes} nodes synced");

        Assert.Equal(expected, result.Status);
        Assert.Equal($"{synced} of {nodes} nodes synced", result.Description);
    }

    // A resource's environment as a run would give it, parameters resolved.
    private static async Task<Dictionary<string, string>> EnvironmentAsync(DistributedApplication app, IResource resource)
    {
        var running = new DistributedApplicationExecutionContext(
            new DistributedApplicationExecutionContextOptions(DistributedApplicationOperation.Run) { Services = app.Services });
        var configuration = await ExecutionConfigurationBuilder.Create(resource).WithEnvironmentVariablesConfig().BuildAsync(running);
        return configuration.EnvironmentVariables.ToDictionary();
    }
}
