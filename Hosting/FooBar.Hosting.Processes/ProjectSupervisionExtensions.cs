using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FooBar.Hosting;

/// <summary>Keeps a project (or any process the AppHost starts) running, as a service manager would: what exits on its own is started again.</summary>
public static class ProjectSupervisionExtensions
{
    /// <summary>
    /// Restarts the project (or executable) when its process exits without anyone asking (a crash, an out-of-memory kill,
    /// <c>kill -9</c>): after <paramref name="firstDelay"/> (1 s), then twice as long after each further exit, up to
    /// <paramref name="maxDelay"/> (30 s); once an instance has been healthy for <paramref name="resetAfter"/> (1 min),
    /// or a person has started it, its next exit counts as the first again. Each restart is written to the resource's console log in the dashboard,
    /// with the exit code and the attempt number. A stop from the dashboard's (or the API's) Stop, Restart or Rebuild
    /// command is a person's decision: the project then stays stopped until someone starts it.
    /// </summary>
    /// <typeparam name="T">A project, or an executable such as a front door (<c>AddNginxInstances</c>).</typeparam>
    /// <param name="builder">The resource builder.</param>
    /// <param name="firstDelay">The wait before the first restart; 1 s when null.</param>
    /// <param name="maxDelay">The longest wait between restarts; 30 s when null.</param>
    /// <param name="resetAfter">How long an instance must stay healthy to start the count again; 1 min when null.</param>
    /// <returns>The resource builder.</returns>
    /// <example>
    /// <code>
    /// builder.AddProject&lt;Projects.FooBar_Web&gt;("web").WithHttpHealthProbe("/health").WithRestartOnCrash();
    /// </code>
    /// </example>
    public static IResourceBuilder<T> WithRestartOnCrash<T>(this IResourceBuilder<T> builder,
        TimeSpan? firstDelay = null, TimeSpan? maxDelay = null, TimeSpan? resetAfter = null)
        where T : IResource
    {
        var policy = new RestartOnCrashAnnotation(firstDelay ?? TimeSpan.FromSeconds(1), maxDelay ?? TimeSpan.FromSeconds(30),
            resetAfter ?? TimeSpan.FromMinutes(1));
        var supervisor = new Supervisor(policy);
        return builder
            .WithAnnotation(policy, ResourceAnnotationMutationBehavior.Replace)
            .OnBeforeResourceStarted((resource, e, _) => supervisor.OnStartingAsync(resource))
            .OnResourceReady((_, _, _) => supervisor.OnHealthyAsync())
            .OnResourceStopped((_, e, _) => supervisor.OnStoppedAsync(e));
    }

    /// <summary>One resource's supervision: who stopped it, how many restarts in a row, and the one restart under way.</summary>
    private sealed class Supervisor(RestartOnCrashAnnotation policy)
    {
        // The commands after which an exit is expected: each stops the process on a person's request.
        private static readonly string[] StoppingCommands =
            [KnownResourceCommands.StopCommand, KnownResourceCommands.RestartCommand, KnownResourceCommands.RebuildCommand];

        private readonly List<ResourceCommandAnnotation> _wrapped = [];
        // One restart at a time: an exit reported while one is under way waits for it, then finds out whether it still applies.
        private readonly SemaphoreSlim _restarting = new(1, 1);
        private volatile bool _stopRequested;
        private volatile bool _restartingNow;
        private int _attempt;
        // When the running instance became healthy (Environment.TickCount64), 0 while it has not.
        private long _healthySince;

        public Task OnStartingAsync(IResource resource)
        {
            // Aspire adds its lifecycle commands when it prepares the resource, just before the first start.
            WrapStoppingCommands(resource);
            _stopRequested = false;
            if (!_restartingNow)
            {
                // A person started it: its next crash counts as the first.
                _attempt = 0;
            }
            return Task.CompletedTask;
        }

        public Task OnHealthyAsync()
        {
            Interlocked.Exchange(ref _healthySince, Environment.TickCount64);
            return Task.CompletedTask;
        }

        public Task OnStoppedAsync(ResourceStoppedEvent e)
        {
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            if (stopping.IsCancellationRequested)
            {
                return Task.CompletedTask;
            }
            if (_stopRequested)
            {
                // A person stopped it: the next crash of a later instance starts the count again.
                _attempt = 0;
                return Task.CompletedTask;
            }
            var healthySince = Interlocked.Exchange(ref _healthySince, 0);
            if (healthySince != 0 && TimeSpan.FromMilliseconds(Environment.TickCount64 - healthySince) >= policy.ResetAfter)
            {
                _attempt = 0;
            }
            // Not awaited: this handler runs inside Aspire's processing of the resource's state changes.
            _ = RestartAsync(e.ResourceEvent.ResourceId, e.ResourceEvent.Snapshot.ExitCode, e.Services, stopping);
            return Task.CompletedTask;
        }

        private async Task RestartAsync(string resourceId, int? exitCode, IServiceProvider services, CancellationToken stopping)
        {
            var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(resourceId);
            var notifications = services.GetRequiredService<ResourceNotificationService>();
            var commands = services.GetRequiredService<ResourceCommandService>();
            try
            {
                await _restarting.WaitAsync(stopping);
                try
                {
                    while (!_stopRequested && IsStopped(notifications, resourceId))
                    {
                        var attempt = Interlocked.Increment(ref _attempt);
                        var delay = policy.DelayBefore(attempt);
                        logger.LogWarning("Exited unexpectedly with exit code {ExitCode}; restart attempt {Attempt} in {Delay:0.#} s.",
                            exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown", attempt, delay.TotalSeconds);
                        await Task.Delay(delay, stopping);
                        // A person may have stopped or started it meanwhile: then it is theirs.
                        if (_stopRequested || !IsStopped(notifications, resourceId))
                        {
                            return;
                        }
                        ExecuteCommandResult result;
                        _restartingNow = true;
                        try
                        {
                            result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, stopping);
                        }
                        finally
                        {
                            _restartingNow = false;
                        }
                        if (result.Success)
                        {
                            return;
                        }
                        logger.LogWarning("Restart attempt {Attempt} failed: {Message}", attempt, result.Message);
                        exitCode = null;
                    }
                }
                finally
                {
                    _restarting.Release();
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // The AppHost is shutting down: nothing is to be restarted.
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Restarting failed; start it from the dashboard.");
            }
        }

        private static bool IsStopped(ResourceNotificationService notifications, string resourceId) =>
            notifications.TryGetCurrentState(resourceId, out var current)
            && KnownResourceStates.TerminalStates.Contains(current.Snapshot.State?.Text);

        // Aspire's own commands, each preceded by a note that the exit that follows is expected.
        private void WrapStoppingCommands(IResource resource)
        {
            lock (_wrapped)
            {
                for (var i = 0; i < resource.Annotations.Count; i++)
                {
                    if (resource.Annotations[i] is ResourceCommandAnnotation command && StoppingCommands.Contains(command.Name) && !_wrapped.Contains(command))
                    {
                        var wrapper = Wrap(command);
                        _wrapped.Add(wrapper);
                        resource.Annotations[i] = wrapper;
                    }
                }
            }
        }

        private ResourceCommandAnnotation Wrap(ResourceCommandAnnotation command) =>
            new(command.Name, command.DisplayName, command.UpdateState, async context =>
                {
                    _stopRequested = true;
                    try
                    {
                        var result = await command.ExecuteCommand(context);
                        // A stop that did not happen leaves the process running, and supervised.
                        _stopRequested &= result.Success;
                        return result;
                    }
                    catch
                    {
                        _stopRequested = false;
                        throw;
                    }
                },
                command.DisplayDescription, arguments: command.Arguments, command.ConfirmationMessage, command.IconName, command.IconVariant,
                command.IsHighlighted, command.Visibility, command.ValidateArguments);
    }
}
