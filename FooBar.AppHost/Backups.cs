using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace FooBar.AppHost;

/// <summary>
/// MySQL's backups, by scripts/db.sh as on the command line (docs/backups.md), of the single server or of one synced node
/// of the cluster: a "Back up" command in the dashboard and, in production, one every <c>FooBar:Backups:Every</c> (6 hours
/// unless told; in development only when told), each pruning those older than <c>FooBar:Backups:MaxAgeDays</c> (7) beyond
/// the newest <c>FooBar:Backups:Keep</c> (7), into <c>FooBar:Backups:Folder</c> (db.sh's default,
/// ~/.local/share/foobar/backups, when it names none).
/// </summary>
internal static class Backups
{
    private static readonly TimeSpan ProductionEvery = TimeSpan.FromHours(6);

    public static IResourceBuilder<MySqlServerResource> WithBackups(this IResourceBuilder<MySqlServerResource> mysql,
        IConfiguration configuration, StackProfile profile)
    {
        var plan = BackupPlan.From(mysql.ApplicationBuilder, configuration, profile);
        mysql.WithBackupCommand(plan.Script, plan.Backup);
        if (plan.Every is { } every)
        {
            mysql.WithBackupSchedule(every, plan.Script, plan.ScheduledBackup);
        }
        return mysql;
    }

    public static IResourceBuilder<MySqlClusterResource> WithBackups(this IResourceBuilder<MySqlClusterResource> cluster,
        IConfiguration configuration, StackProfile profile)
    {
        var plan = BackupPlan.From(cluster.ApplicationBuilder, configuration, profile);
        cluster.WithBackupCommand(plan.Script, plan.Backup);
        if (plan.Every is { } every)
        {
            cluster.WithBackupSchedule(every, plan.Script, plan.ScheduledBackup);
        }
        return cluster;
    }

    private sealed record BackupPlan(string Script, string[] Backup, TimeSpan? Every, string[] ScheduledBackup)
    {
        public static BackupPlan From(IDistributedApplicationBuilder builder, IConfiguration configuration, StackProfile profile)
        {
            var script = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "scripts", "db.sh"));
            string[] backup = configuration["FooBar:Backups:Folder"] is { Length: > 0 } folder ? ["backup", "--folder", folder] : ["backup"];
            var every = configuration.GetValue<TimeSpan?>("FooBar:Backups:Every") ?? (profile.IsProduction ? ProductionEvery : null);
            var keep = configuration.GetValue("FooBar:Backups:Keep", 7).ToString(CultureInfo.InvariantCulture);
            var maxAge = configuration.GetValue("FooBar:Backups:MaxAgeDays", 7.0).ToString(CultureInfo.InvariantCulture);
            return new BackupPlan(script, backup, every, [.. backup, "--keep", keep, "--max-age", maxAge]);
        }
    }
}
