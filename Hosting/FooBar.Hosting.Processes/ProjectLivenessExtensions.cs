using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using FooBar.Hosting.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FooBar.Hosting;

/// <summary>Ends a project that is alive but makes no progress (a deadlock, a stopped process), as a liveness probe does; never one that is only busy.</summary>
public static class ProjectLivenessExtensions
{
    /// <summary>The environment variable naming the file a project's own heartbeat thread touches while its requests progress.</summary>
    public const string HeartbeatFileVariable = "Liveness__HeartbeatFile";

    /// <summary>
    /// Once the project is healthy, watches it every <paramref name="period"/> (1 s) and kills the process (SIGKILL) when
    /// it makes no progress for <paramref name="failures"/> (5) periods in a row, so that
    /// <see cref="ProjectSupervisionExtensions.WithRestartOnCrash{T}"/> starts it again and nginx, its connections to the
    /// process broken, sends what it had sent there to another instance. Progress is the heartbeat file named in
    /// <see cref="HeartbeatFileVariable"/>, which a thread of the project's own touches every second while its requests
    /// complete (FooBar.ServiceDefaults' ProgressHeartbeat): a stopped or deadlocked process stops touching it, a busy one
    /// does not, however long its queue. Until the project has touched it, an ask of <paramref name="path"/> on its HTTP
    /// endpoint that times out counts instead; a refused connection is a program that is exiting, not one that hangs.
    /// </summary>
    /// <param name="builder">The project resource builder.</param>
    /// <param name="path">The liveness endpoint's path: one that depends on nothing but the process itself.</param>
    /// <param name="period">How often to look, and how long to wait for each answer; 1 s when null.</param>
    /// <param name="failures">How many periods in a row without progress end the process; 5 when null.</param>
    /// <param name="endpointName">The project's HTTP endpoint.</param>
    /// <returns>The project resource builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddProject&lt;Projects.FooBar_Web&gt;("web").WithRestartOnCrash().WithLivenessProbe("/alive");
    /// </code>
    /// </example>
    public static IResourceBuilder<ProjectResource> WithLivenessProbe(this IResourceBuilder<ProjectResource> builder, string path,
        TimeSpan? period = null, int? failures = null, string endpointName = "http")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var interval = period ?? TimeSpan.FromSeconds(1);
        var allowed = failures ?? 5;
        ArgumentOutOfRangeException.ThrowIfLessThan(allowed, 1, nameof(failures));
        var endpoint = builder.GetEndpoint(endpointName);
        string? heartbeat = null;
        if (builder.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            heartbeat = Path.Combine(RunFolder.Create("liveness").Path, $"{builder.Resource.Name}.heartbeat");
            builder.WithEnvironment(HeartbeatFileVariable, heartbeat);
        }
        return builder.OnResourceReady((resource, e, cancellationToken) =>
        {
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            // Not awaited: one watch per started process, which ends when that process does.
            _ = WatchAsync(resource, new Uri(new Uri(endpoint.Url), path), heartbeat, interval, allowed, e.Services, stopping);
            return Task.CompletedTask;
        });
    }

    private static async Task WatchAsync(IResource resource, Uri alive, string? heartbeat, TimeSpan interval, int allowed,
        IServiceProvider services, CancellationToken stopping)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);
        if (RunningProcess(notifications, resource.Name) is not { } watched)
        {
            return;
        }
        // A heartbeat older than the watch is the previous process's (one killed leaves its file behind).
        var watchStarted = DateTime.UtcNow;
        // A connection per ask: a hung process must not be hidden behind one kept alive from before.
        using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = interval };
        var unanswered = 0;
        try
        {
            while (RunningProcess(notifications, resource.Name) == watched)
            {
                var asked = Stopwatch.GetTimestamp();
                string why;
                if (heartbeat is not null && File.Exists(heartbeat))
                {
                    var beat = File.GetLastWriteTimeUtc(heartbeat);
                    var age = DateTime.UtcNow - (beat > watchStarted ? beat : watchStarted);
                    unanswered = age >= allowed * interval ? allowed : 0;
                    why = $"made no progress for {age.TotalSeconds:0} s (its heartbeat, {heartbeat}, stopped)";
                }
                else
                {
                    try
                    {
                        using var answer = await client.GetAsync(alive, stopping);
                        unanswered = 0;
                    }
                    catch (TaskCanceledException) when (!stopping.IsCancellationRequested)
                    {
                        unanswered++;
                    }
                    catch (HttpRequestException)
                    {
                        // Refused or reset: the process is exiting or gone, which its own exit reports.
                    }
                    why = $"did not answer {alive.AbsolutePath} for {(allowed * interval).TotalSeconds:0} s ({allowed} asks in a row)";
                }

                if (unanswered >= allowed && RunningProcess(notifications, resource.Name) == watched)
                {
                    logger.LogWarning("Process {Pid} {Why}; ending it so that it is restarted.", watched, why);
                    Kill(watched);
                    return;
                }
                await Task.Delay(Max(TimeSpan.Zero, interval - Stopwatch.GetElapsedTime(asked)), stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The AppHost is shutting down.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The liveness probe stopped; the process is no longer watched until it starts again.");
        }
    }

    /// <summary>The process id in an executable's or project's snapshot (DCP's <c>executable.pid</c>), or null while it has none.</summary>
    internal static int? ProcessId(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
            ? Convert.ToInt32(pid, CultureInfo.InvariantCulture)
            : null;

    // The running process's id, from the dashboard's snapshot; null while it is not running.
    private static int? RunningProcess(ResourceNotificationService notifications, string resourceName) =>
        notifications.TryGetCurrentState(resourceName, out var state) && state.Snapshot.State?.Text == KnownResourceStates.Running
            ? ProcessId(state.Snapshot)
            : null;

    private static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
            // It has exited meanwhile.
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
