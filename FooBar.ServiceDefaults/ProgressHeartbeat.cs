using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Tells a hung process from a busy one. Every request is counted in and out; a thread of its own (not the thread pool,
/// which a flood or a deadlock may hold) looks every second: the process makes progress while nothing is in flight or
/// some request has completed since it last looked. While it does, the thread touches the file named by
/// <c>Liveness:HeartbeatFile</c>, whose age the AppHost's liveness probe (or a container's health check) reads; after
/// <c>Liveness:StallTimeout</c> (30 s: longer than any query may wait on a failed database node) without progress it
/// stops, and <c>/alive</c> answers 503. A stopped process (SIGSTOP) stops touching it at once.
/// </summary>
public sealed class ProgressHeartbeat : IDisposable
{
    /// <summary>The configuration key of the file the heartbeat touches; none: no file, only <c>/alive</c>'s verdict.</summary>
    public const string HeartbeatFileKey = "Liveness:HeartbeatFile";

    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly string? _file;
    private readonly CancellationTokenSource _stopping = new();
    private long _inFlight;
    private long _completed;
    private long _lastProgressTicks = Environment.TickCount64;

    /// <summary>Reads <c>Liveness:HeartbeatFile</c> and <c>Liveness:StallTimeout</c>; refuses a stall time-out of 0 or below.</summary>
    /// <param name="configuration">The application's configuration.</param>
    public ProgressHeartbeat(IConfiguration configuration)
    {
        _file = configuration[HeartbeatFileKey] is { Length: > 0 } file ? file : null;
        StallTimeout = configuration.GetValue<TimeSpan?>("Liveness:StallTimeout") ?? TimeSpan.FromSeconds(30);
        if (StallTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Liveness:StallTimeout is {StallTimeout}; it must be above 0 (30 s by default).");
        }
    }

    /// <summary>How long requests may be in flight with none completing before the process counts as hung.</summary>
    public TimeSpan StallTimeout { get; }

    /// <summary>Whether the process has made progress within <see cref="StallTimeout"/>.</summary>
    public bool Progressing => TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastProgressTicks)) < StallTimeout;

    /// <summary>Starts the thread that looks every second.</summary>
    public void Start() => new Thread(Beat) { IsBackground = true, Name = "progress heartbeat" }.Start();

    /// <summary>Counts a request in, then out when it completes, whatever it answered; health probes are not counted.</summary>
    /// <param name="context">The request.</param>
    /// <param name="next">The rest of the pipeline.</param>
    /// <returns>The request's task.</returns>
    public async Task CountAsync(HttpContext context, RequestDelegate next)
    {
        // A probe's answer is no progress: a process whose page views all hang still answers /alive.
        if (Extensions.IsHealthProbe(context.Request.Path))
        {
            await next(context);
            return;
        }
        Interlocked.Increment(ref _inFlight);
        try
        {
            await next(context);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _completed);
        }
    }

    private void Beat()
    {
        var seen = Interlocked.Read(ref _completed);
        while (!_stopping.Token.WaitHandle.WaitOne(Period))
        {
            var completed = Interlocked.Read(ref _completed);
            if (completed != seen || Interlocked.Read(ref _inFlight) == 0)
            {
                Interlocked.Exchange(ref _lastProgressTicks, Environment.TickCount64);
            }
            seen = completed;
            if (_file is not null && Progressing)
            {
                Touch(_file);
            }
        }
    }

    private static void Touch(string file)
    {
        try
        {
            if (!File.Exists(file))
            {
                File.WriteAllBytes(file, []);
            }
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow);
        }
        catch (IOException)
        {
            // The folder is gone (the AppHost is stopping): the next beat tries again.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Stops the thread and removes the file, so a stopped process never looks alive.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        if (_file is not null && File.Exists(_file))
        {
            File.Delete(_file);
        }
        _stopping.Dispose();
    }

    /// <summary>Counts every request first in the pipeline, and starts the heartbeat with the application.</summary>
    internal sealed class StartupFilter(ProgressHeartbeat heartbeat, IHostApplicationLifetime lifetime) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            lifetime.ApplicationStarted.Register(heartbeat.Start);
            app.Use(heartbeat.CountAsync);
            next(app);
        };
    }

    /// <summary><c>/alive</c>'s check: unhealthy once requests have been in flight for the stall time-out with none completing.</summary>
    internal sealed class Check(ProgressHeartbeat heartbeat) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(heartbeat.Progressing
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"requests in flight, none completed for {heartbeat.StallTimeout.TotalSeconds:0} s"));
    }
}
