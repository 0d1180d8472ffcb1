-- nginx's own figures that stub_status lacks, for the AppHost's Prometheus bridge (NginxMetricsExtensions.cs):
-- requests by status class, the upstream's response time as a histogram, and the trace exporter's spans sent and
-- dropped. Every worker adds to one lua_shared_dict (telemetry.conf), so the page on the status listener is nginx's
-- whole. The cost per request is one shared-dict incr, three for a proxied one (its class, its bucket, the sum).
--
--   log()    log phase: count the request (telemetry.conf)
--   page()   content phase: the figures as Prometheus text (status.conf.template)
--
-- The functions taking `dict` are pure, so test/run.lua runs them under plain LuaJIT with a table for the dict.
local M = {}

-- Upper bounds of the upstream response time's buckets, in seconds: the app's pages take milliseconds, nginx gives up at 10 s.
M.BUCKETS = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 }
local BUCKETS, BUCKET_COUNT = M.BUCKETS, #M.BUCKETS

local CLASS_KEYS = { "requests_1xx", "requests_2xx", "requests_3xx", "requests_4xx", "requests_5xx" }
-- Made once: a key built per request would be a string to allocate and hash each time.
local BUCKET_KEYS = {}
for i = 1, BUCKET_COUNT + 1 do
  BUCKET_KEYS[i] = "upstream_bucket_" .. i
end
local SPAN_COUNTS = { "exported", "dropped_queue_full", "dropped_export_failed" }

-- $upstream_response_time: "0.004", or one time per upstream tried ("0.001, 0.004 : 0.002"), "-" for none that answered.
local function upstream_seconds(value)
  local seconds = tonumber(value)
  if seconds or not value or value == "" then
    return seconds
  end
  for time in value:gmatch("%d+%.?%d*") do
    seconds = (seconds or 0) + tonumber(time)
  end
  return seconds
end

-- Counts one request: its status class, and the upstream's time when it had one.
function M.record(dict, status, upstream_response_time)
  local key = CLASS_KEYS[(status - status % 100) / 100]
  if key then
    dict:incr(key, 1, 0)
  end
  local seconds = upstream_seconds(upstream_response_time)
  if seconds then
    local bucket = BUCKET_COUNT + 1
    for i = 1, BUCKET_COUNT do
      if seconds <= BUCKETS[i] then
        bucket = i
        break
      end
    end
    dict:incr(BUCKET_KEYS[bucket], 1, 0)
    dict:incr("upstream_seconds_sum", seconds, 0)
  end
end

-- Adds the spans a worker's queue (otel/queue.lua) exported or dropped since `published` (that worker's last call) to the dict.
function M.publish_spans(dict, queue, published)
  for _, name in ipairs(SPAN_COUNTS) do
    local delta = queue[name] - (published[name] or 0)
    if delta > 0 then
      dict:incr("spans_" .. name, delta, 0)
      published[name] = queue[name]
    end
  end
end

-- Counts are whole numbers (exact to 2^53); seconds and bounds need no more than ten digits.
local function number(value)
  return string.format("%.17g", value or 0)
end
local function seconds(value)
  return string.format("%.10g", value or 0)
end

-- The figures in Prometheus's text format; a bucket counts every time at or below its bound, as Prometheus's do.
function M.render(dict)
  local lines = {
    "# HELP foobar_nginx_requests_total Requests answered, by status class.",
    "# TYPE foobar_nginx_requests_total counter",
  }
  for class = 1, #CLASS_KEYS do
    lines[#lines + 1] = string.format('foobar_nginx_requests_total{status_class="%dxx"} %s', class, number(dict:get(CLASS_KEYS[class])))
  end
  lines[#lines + 1] = "# HELP foobar_nginx_upstream_response_seconds Time the upstream took to answer ($upstream_response_time)."
  lines[#lines + 1] = "# TYPE foobar_nginx_upstream_response_seconds histogram"
  local count = 0
  for i = 1, BUCKET_COUNT + 1 do
    count = count + (dict:get(BUCKET_KEYS[i]) or 0)
    local bound = BUCKETS[i] and seconds(BUCKETS[i]) or "+Inf"
    lines[#lines + 1] = string.format('foobar_nginx_upstream_response_seconds_bucket{le="%s"} %s', bound, number(count))
  end
  lines[#lines + 1] = "foobar_nginx_upstream_response_seconds_sum " .. seconds(dict:get("upstream_seconds_sum"))
  lines[#lines + 1] = "foobar_nginx_upstream_response_seconds_count " .. number(count)
  lines[#lines + 1] = "# HELP foobar_nginx_spans_exported_total Spans the trace exporter sent to the collector."
  lines[#lines + 1] = "# TYPE foobar_nginx_spans_exported_total counter"
  lines[#lines + 1] = "foobar_nginx_spans_exported_total " .. number(dict:get("spans_exported"))
  lines[#lines + 1] = "# HELP foobar_nginx_spans_dropped_total Spans the trace exporter dropped, by reason."
  lines[#lines + 1] = "# TYPE foobar_nginx_spans_dropped_total counter"
  lines[#lines + 1] = 'foobar_nginx_spans_dropped_total{reason="queue_full"} ' .. number(dict:get("spans_dropped_queue_full"))
  lines[#lines + 1] = 'foobar_nginx_spans_dropped_total{reason="export_failed"} ' .. number(dict:get("spans_dropped_export_failed"))
  return table.concat(lines, "\n") .. "\n"
end

function M.log()
  M.record(ngx.shared.foobar_metrics, ngx.status, ngx.var.upstream_response_time)
end

function M.page()
  ngx.print(M.render(ngx.shared.foobar_metrics))
end

return M
