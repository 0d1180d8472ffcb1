using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.RateLimiting;
using MySqlConnector;

namespace FooBar.Web.Requests;

/// <summary>
/// Admission control: at most <see cref="AdmissionOptions.ConcurrencyLimit"/> page views run at once and
/// <see cref="AdmissionOptions.QueueLimit"/> wait; beyond that a request is answered at once with 503, Retry-After and
/// the site's error page, instead of waiting until nginx gives up on it. The post form's submissions have a limit of
/// their own (<see cref="AdmissionOptions.WriteConcurrencyLimit"/>), so a flood of page views sheds page views first;
/// /health and /alive are never limited (their endpoints disable it), nor the error page a shed request is given.
/// nginx serves the static files: they never reach the app.
/// </summary>
public static class AdmissionControl
{
    /// <summary>Set on a request that admission control turned away, to its Retry-After seconds: the error page says the site is busy.</summary>
    public const string ShedItem = "FooBar.Admission.Shed";

    /// <summary>Reads and checks <c>Admission:*</c> (refusing to start on a limit of 0 or below) and adds the limiter.</summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The options read.</returns>
    public static AdmissionOptions AddAdmissionControl(this WebApplicationBuilder builder)
    {
        var options = AdmissionOptions.From(builder.Configuration);
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, options));
            limiter.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            limiter.OnRejected = (rejected, _) =>
            {
                // An empty 503: the status-code pages re-execute it as /Error/503, which reads this item.
                rejected.HttpContext.Items[ShedItem] = options.RetryAfterSeconds;
                return ValueTask.CompletedTask;
            };
        });
        return options;
    }

    private static RateLimitPartition<string> Partition(HttpContext context, AdmissionOptions options)
    {
        // The error page of a request already answered (a shed one's too) is rendered, never queued again.
        if (context.Features.Get<IStatusCodeReExecuteFeature>() is not null || context.Features.Get<IExceptionHandlerFeature>() is not null)
        {
            return RateLimitPartition.GetNoLimiter("error page");
        }
        return HttpMethods.IsPost(context.Request.Method)
            ? RateLimitPartition.GetConcurrencyLimiter("writes", _ => Limiter(options.WriteConcurrencyLimit, options.QueueLimit))
            : RateLimitPartition.GetConcurrencyLimiter("page views", _ => Limiter(options.ConcurrencyLimit, options.QueueLimit));
    }

    private static ConcurrencyLimiterOptions Limiter(int permits, int queue) =>
        new() { PermitLimit = permits, QueueLimit = queue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst };
}

/// <summary>
/// <c>Admission:*</c>, each a count per instance: <c>ConcurrencyLimit</c> (page views at once; by default 32, at most
/// the database pool's size, <c>Database:MaxPoolSize</c>, so that an admitted request never waits for a connection),
/// <c>QueueLimit</c> (waiting requests, 256 by default: about a tenth of a second of this instance's throughput),
/// <c>WriteConcurrencyLimit</c> (the form's submissions at once, 8 by default) and <c>RetryAfterSeconds</c> (1).
/// </summary>
/// <param name="ConcurrencyLimit">Page views that run at once.</param>
/// <param name="QueueLimit">Requests that wait for one of them, per kind.</param>
/// <param name="WriteConcurrencyLimit">Post form submissions that run at once.</param>
/// <param name="RetryAfterSeconds">What a shed request's Retry-After says.</param>
public sealed record AdmissionOptions(int ConcurrencyLimit, int QueueLimit, int WriteConcurrencyLimit, int RetryAfterSeconds)
{
    /// <summary>Page views at once unless configured (or the pool's size, if that is smaller).</summary>
    public const int DefaultConcurrencyLimit = 32;

    /// <summary>Waiting requests unless configured.</summary>
    public const int DefaultQueueLimit = 256;

    /// <summary>Post form submissions at once unless configured.</summary>
    public const int DefaultWriteConcurrencyLimit = 8;

    /// <summary>Reads <c>Admission:*</c>; throws with the key and its value for any limit of 0 or below.</summary>
    /// <param name="configuration">The application's configuration.</param>
    /// <returns>The options.</returns>
    public static AdmissionOptions From(IConfiguration configuration)
    {
        // The pool as FooBar.Web.Data sizes it: the AppHost's share, or MySqlConnector's own default.
        var pool = configuration.GetValue<int?>("Database:MaxPoolSize") ?? (int)new MySqlConnectionStringBuilder().MaximumPoolSize;
        var options = new AdmissionOptions(
            Read(configuration, nameof(ConcurrencyLimit)) ?? Math.Min(DefaultConcurrencyLimit, pool),
            Read(configuration, nameof(QueueLimit)) ?? DefaultQueueLimit,
            Read(configuration, nameof(WriteConcurrencyLimit)) ?? DefaultWriteConcurrencyLimit,
            Read(configuration, nameof(RetryAfterSeconds)) ?? 1);
        return options;
    }

    private static int? Read(IConfiguration configuration, string name)
    {
        var text = configuration[$"Admission:{name}"];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new InvalidOperationException($"Admission:{name} is '{text}'; it must be a whole number above 0.");
        }
        return value;
    }
}
