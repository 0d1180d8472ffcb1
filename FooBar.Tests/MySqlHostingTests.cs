using System.IO.Compression;
using System.Text;
using System.Text.Json;
using FooBar.Tests.Infrastructure;
using MySqlConnector;

namespace FooBar.Tests;

/// <summary>
/// The AppHost's MySQL hosting extension with the image the AppHost runs: the official image's
/// contract (root password, MYSQL_DATABASE, MYSQL_USER, init files) and AddDatabase.
/// </summary>
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
            builder.Configuration["ContainerImages:contract-mysql"] = AppHostMySqlImage();
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

    private static string AppHostMySqlImage()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "FooBar.AppHost", "appsettings.json")));
        return settings.RootElement.GetProperty("ContainerImages").GetProperty("mysql").GetString()!;
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
