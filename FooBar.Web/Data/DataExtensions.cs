using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using MySqlConnector;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FooBar.Web.Data;

public static class DataExtensions
{
    /// <summary>
    /// Registers a pooled <see cref="MySqlDataSource"/> for the connection string <paramref name="connectionName"/>
    /// (Aspire injects it as ConnectionStrings__name), MySqlConnector's traces and metrics, a readiness
    /// check, the migrations and the stores that read and write FooBar's data.
    /// </summary>
    public static IHostApplicationBuilder AddFooBarData(this IHostApplicationBuilder builder, string connectionName)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException(
                $"Connection string '{connectionName}' is missing: run the app through FooBar.AppHost, or set ConnectionStrings__{connectionName}.");

        var connection = new MySqlConnectionStringBuilder(connectionString)
        {
            // Fail fast when MySQL cannot be reached: a visitor gets a 503 page within a second or two, not a hang.
            ConnectionTimeout = 1,
            // The app leaves no session state on a connection (no SET, user variables or temporary tables), so a
            // pooled one needs no reset: that saves a round trip to MySQL on every page.
            ConnectionReset = false,
            // Prepare() prepares on the server (MySqlConnector ignores it by default): the fortunes query is parsed once
            // per connection, not on every page.
            IgnorePrepare = false,
            // Given several database nodes (Server=a,b,c), new connections go to the first that answers: every instance
            // writes to one node, so writes seldom meet in a Galera certification conflict (DatabaseRetry runs those again).
            LoadBalance = MySqlLoadBalance.FailOver,
        };
        // Its share of MySQL's connection limit (the AppHost sets it); MySqlConnector's default otherwise.
        if (builder.Configuration.GetValue<uint?>("Database:MaxPoolSize") is { } poolSize)
        {
            connection.MaximumPoolSize = poolSize;
        }
        // In a swarm the password is not in the connection string but in a Docker secret's file, which
        // ConnectionStringPasswordFiles:<name> names. Trailing line ends are not part of it, as with the MySQL image's _FILE.
        if (builder.Configuration[$"ConnectionStringPasswordFiles:{connectionName}"] is { Length: > 0 } passwordFile)
        {
            connection.Password = File.ReadAllText(passwordFile).TrimEnd('\r', '\n');
        }

        builder.Services.AddSingleton(services => new MySqlDataSourceBuilder(connection.ConnectionString)
            .UseLoggerFactory(services.GetRequiredService<ILoggerFactory>())
            .Build());

        // MySqlConnector reports through its own ActivitySource and Meter, both named "MySqlConnector".
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource("MySqlConnector"))
            .WithMetrics(metrics => metrics.AddMeter("MySqlConnector"));

        builder.Services.AddHealthChecks().AddCheck<MySqlHealthCheck>("mysql");

        // The key ring behind antiforgery tokens, in MySQL: shared by every instance wherever it runs.
        builder.Services.AddDataProtection().SetApplicationName("FooBar.Web");
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(services =>
            new ConfigureOptions<KeyManagementOptions>(options => options.XmlRepository = new MySqlXmlRepository(services.GetRequiredService<MySqlDataSource>())));

        builder.Services.AddSingleton<DatabaseRetry>();
        builder.Services.AddSingleton<DatabaseMigrator>();
        builder.Services.AddSingleton<PostStore>();
        builder.Services.AddSingleton<FortuneStore>();
        builder.Services.AddSingleton<ServerProbe>();
        return builder;
    }
}
