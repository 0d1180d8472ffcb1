using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace FooBar.AppHost;

/// <summary>
/// The single server's backups, by scripts/db.sh as on the command line (docs/backups.md): a "Back up" command in the
/// dashboard and, in production, one every <c>FooBar:Backups:Every</c> (6 hours unless told; in development only when
/// told), each pruning those older than <c>FooBar:Backups:MaxAgeDays</c> (7) beyond the newest <c>FooBar:Backups:Keep</c>
/// (7), into <c>FooBar:Backups:Folder</c> (db.sh's default, ~/.local/share/foobar/backups, when it names none).
/// </summary>
internal static class Backups
{
    private static readonly TimeSpan ProductionEvery = TimeSpan.FromHours(6);

    public static IResourceBuilder<MySqlServerResource> WithBackups(this IResourceBuilder<MySqlServerResource> mysql,
        IConfiguration configuration, StackProfile profile)
    {
        var script = Path.GetFullPath(Path.Combine(mysql.ApplicationBuilder.AppHostDirectory, "..", "scripts", "db.sh"));
        string[] folder = configuration["FooBar:Backups:Folder"] is { Length: > 0 } configured ? ["--folder", configured] : [];
        mysql.WithBackupCommand(script, ["backup", .. folder]);

        var every = configuration.GetValue<TimeSpan?>("FooBar:Backups:Every") ?? (profile.IsProduction ? ProductionEvery : null);
        if (every is { } interval)
        {
            var keep = configuration.GetValue("FooBar:Backups:Keep", 7).ToString(CultureInfo.InvariantCulture);
            var maxAge = configuration.GetValue("FooBar:Backups:MaxAgeDays", 7.0).ToString(CultureInfo.InvariantCulture);
            mysql.WithBackupSchedule(interval, script, ["backup", .. folder, "--keep", keep, "--max-age", maxAge]);
        }
        return mysql;
    }
}
