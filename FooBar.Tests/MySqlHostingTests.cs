using System.IO.Compression;
using System.Text;
using FooBar.Tests.Infrastructure;
using MySqlConnector;

namespace FooBar.Tests;

/// <summary>
/// The AppHost's MySQL hosting extension with the image the AppHost runs: the official image's
/// contract (root password, MYSQL_DATABASE, MYSQL_USER, init files), AddDatabase, and logins kept to this host.
/// </summary>
[Trait(Speed.Name, Speed.Docker)]
public sealed class MySqlHostingTests
{
    [Fact]
    public async Task Server_honours_the_official_mysql_image_contract()
    {
        await DockerEngine.RequireAsync();
        var initFiles = Directory.CreateTempSubdirectory("foobar-initdb-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(initFiles.FullName, "01-schema.sql"),
                "CREATE TABLE greeting (id INT PRIMARY KEY, text VARCHAR(50) NOT NULL);");
            await WriteGzipAsync(Path.Combine(initFiles.FullName, "02-data.sql.gz"),
                "INSERT INTO greeting VALUES (1, 'hello from an init file');");

            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FooBar_AppHost>();
            // The AppHost's orchestration settings without its resources: this MySQL runs on its own.
            foreach (var resource in builder.Resources.ToList())
            {
                builder.Resources.Remove(resource);
            }
            builder.ConfigureForTests();
            // The image the AppHost runs for its own MySQL.
            builder.Configuration["ContainerImages:contract-mysql"] = builder.Configuration["ContainerImages:mysql"];
            // Quotes, a backslash and a space: the password must reach the server intact.
            var rootPassword = builder.AddParameter("contract-root-password", @"r00t 'pa\ss", secret: true);
            var server = builder.AddMySql("contract-mysql", rootPassword)
                .WithImageFromConfiguration()
                .WithInitFiles(initFiles.FullName)
                .WithEnvironment("MYSQL_DATABASE", "contract")
                .WithEnvironment("MYSQL_USER", "app")
                .WithEnvironment("MYSQL_PASSWORD", "app-password");
            server.AddDatabase("contract-extra", "extra");

            await using var app = await builder.BuildAsync();
            await app.StartAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await app.ResourceNotifications.WaitForResourceHealthyAsync("contract-extra", timeout.Token);

            var root = await app.GetLoopbackMySqlConnectionStringAsync("contract-mysql");
            await using (var connection = new MySqlConnection(root.ConnectionString))
            {
                await connection.OpenAsync();
                Assert.Equal("hello from an init file", await ScalarAsync(connection, "SELECT text FROM contract.greeting WHERE id = 1"));
                // AddDatabase created its database once the server was ready.
                Assert.Equal("extra", await ScalarAsync(connection, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'extra'"));
            }

            var appUser = new MySqlConnectionStringBuilder(root.ConnectionString) { UserID = "app", Password = "app-password", Database = "contract" };
            await using (var connection = new MySqlConnection(appUser.ConnectionString))
            {
                await connection.OpenAsync();
                Assert.Equal(1L, await ScalarAsync(connection, "SELECT COUNT(*) FROM greeting"));
            }

            var wrongPassword = new MySqlConnectionStringBuilder(root.ConnectionString) { Password = "not the password" };
            await using (var connection = new MySqlConnection(wrongPassword.ConnectionString))
            {
                await Assert.ThrowsAsync<MySqlException>(() => connection.OpenAsync());
            }
        }
        finally
        {
            initFiles.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_data_volume_from_an_earlier_run_keeps_working_and_loses_its_logins_for_other_hosts()
    {
        await DockerEngine.RequireAsync();
        var volume = $"foobar-tests-{Guid.NewGuid():N}-mysql-logins";
        try
        {
            // As an older volume, or a run on another Docker network, left the accounts: logins for any host and for
            // another gateway, none for this host's address now.
            await RunServerWithAppLoginAsync(volume, async (root, thisHost) =>
            {
                await ExecuteAsync(root, $"RENAME USER 'logins_app'@'{thisHost}' TO 'logins_app'@'%'");
                await ExecuteAsync(root, "CREATE USER 'root'@'%' IDENTIFIED BY 'old', 'root'@'10.255.255.1' IDENTIFIED BY 'old'");
                await ExecuteAsync(root, $"DROP USER 'root'@'{thisHost}'");
            });

            // The next run on that volume makes root's and the app's logins for this host again and drops the rest.
            await RunServerWithAppLoginAsync(volume, async (root, thisHost) =>
            {
                string[] wanted = [$"logins_app@{thisHost}", $"root@{thisHost}", "root@localhost"];
                // The app's old '%' login passes its health check before the server's ready handler drops it.
                var accounts = await Poll.UntilAsync(() => AccountsAsync(root), found => found.Order().SequenceEqual(wanted.Order()),
                    TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
                Assert.Equal(wanted.Order(), accounts.Order());
            });
        }
        finally
        {
            await DockerEngine.RemoveVolumeAsync(volume);
        }
    }

    // A MySQL of its own on <paramref name="volume"/> with a database and an app login; once the login can be used
    // (its health check), runs <paramref name="test"/> with a root connection and the address this host arrives from.
    private static async Task RunServerWithAppLoginAsync(string volume, Func<MySqlConnection, string, Task> test)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FooBar_AppHost>();
        foreach (var resource in builder.Resources.ToList())
        {
            builder.Resources.Remove(resource);
        }
        builder.ConfigureForTests();
        builder.Configuration["ContainerImages:logins-mysql"] = builder.Configuration["ContainerImages:mysql"];
        // Fixed passwords: both runs log in to the same data directory.
        var rootPassword = builder.AddParameter("logins-root-password", "logins-root", secret: true);
        var appPassword = builder.AddParameter("logins-app-password", "logins-app", secret: true);
        builder.AddMySql("logins-mysql", rootPassword).WithImageFromConfiguration().WithDataVolume(volume)
            .AddDatabase("logins-db", "logins")
            .AddUser("logins-app", "logins_app", appPassword);

        await using var app = await builder.BuildAsync();
        await app.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await app.ResourceNotifications.WaitForResourceHealthyAsync("logins-app", timeout.Token);

        await using var root = new MySqlConnection((await app.GetLoopbackMySqlConnectionStringAsync("logins-mysql")).ConnectionString);
        await root.OpenAsync();
        var thisHost = (string)(await ScalarAsync(root, "SELECT SUBSTRING_INDEX(USER(), '@', -1)"))!;
        await test(root, thisHost);
        await app.StopAsync();
    }

    private static async Task<List<string>> AccountsAsync(MySqlConnection root)
    {
        var accounts = new List<string>();
        await using var command = new MySqlCommand("SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User IN ('root', 'logins_app')", root);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            accounts.Add(reader.GetString(0));
        }
        return accounts;
    }

    private static async Task ExecuteAsync(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task WriteGzipAsync(string path, string text)
    {
        await using var file = File.Create(path);
        await using var gzip = new GZipStream(file, CompressionLevel.Optimal);
        await gzip.WriteAsync(Encoding.UTF8.GetBytes(text));
    }

    private static async Task<object?> ScalarAsync(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
