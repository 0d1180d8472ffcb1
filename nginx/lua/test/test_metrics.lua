local metrics = require "metrics"
local assert_that = require "assert_that"

-- A lua_shared_dict as far as the figures use it: get, and incr with an initial value.
local function dict()
  local values = {}
  return {
    get = function(_, key) return values[key] end,
    incr = function(_, key, value, init)
      values[key] = (values[key] or init) + value
      return values[key]
    end,
  }
end

local function series(page, name)
  local escaped = name:gsub("[%.%+%-%[%]%(%)]", "%%%0")
  return tonumber(page:match("\n" .. escaped .. " (%S+)\n") or ("\n" .. page):match("\n" .. escaped .. " (%S+)\n"))
end

return {
  { "requests count by status class, each class its own series", function()
    local figures = dict()
    for _, status in ipairs({ 200, 204, 301, 404, 499, 502, 503, 101 }) do
      metrics.record(figures, status, nil)
    end
    local page = metrics.render(figures)
    assert_that.equal(1, series(page, 'foobar_nginx_requests_total{status_class="1xx"}'))
    assert_that.equal(2, series(page, 'foobar_nginx_requests_total{status_class="2xx"}'))
    assert_that.equal(1, series(page, 'foobar_nginx_requests_total{status_class="3xx"}'))
    assert_that.equal(2, series(page, 'foobar_nginx_requests_total{status_class="4xx"}'))
    assert_that.equal(2, series(page, 'foobar_nginx_requests_total{status_class="5xx"}'))
    -- A static file had no upstream: no time counted.
    assert_that.equal(0, series(page, "foobar_nginx_upstream_response_seconds_count"))
  end },
  { "an upstream's time falls in the first bucket at or above it, and buckets count cumulatively", function()
    local figures = dict()
    metrics.record(figures, 200, "0.004")
    metrics.record(figures, 200, "0.005")
    metrics.record(figures, 504, "10.002")
    local page = metrics.render(figures)
    assert_that.equal(0, series(page, 'foobar_nginx_upstream_response_seconds_bucket{le="0.0025"}'))
    assert_that.equal(2, series(page, 'foobar_nginx_upstream_response_seconds_bucket{le="0.005"}'))
    assert_that.equal(2, series(page, 'foobar_nginx_upstream_response_seconds_bucket{le="10"}'))
    assert_that.equal(3, series(page, 'foobar_nginx_upstream_response_seconds_bucket{le="+Inf"}'))
    assert_that.equal(3, series(page, "foobar_nginx_upstream_response_seconds_count"))
    assert_that.near(10.011, series(page, "foobar_nginx_upstream_response_seconds_sum"), 1e-9)
  end },
  { "a request tried on several upstreams counts the time of them all; none that answered counts none", function()
    local figures = dict()
    metrics.record(figures, 200, "0.001, 0.004 : 0.002")
    metrics.record(figures, 502, "-")
    metrics.record(figures, 200, "")
    local page = metrics.render(figures)
    assert_that.equal(1, series(page, "foobar_nginx_upstream_response_seconds_count"))
    assert_that.near(0.007, series(page, "foobar_nginx_upstream_response_seconds_sum"), 1e-9)
  end },
  { "each worker adds only the spans exported or dropped since its last report", function()
    local figures, published = dict(), {}
    local queue = { exported = 10, dropped_queue_full = 2, dropped_export_failed = 0 }
    metrics.publish_spans(figures, queue, published)
    queue.exported = 15
    metrics.publish_spans(figures, queue, published)
    metrics.publish_spans(figures, queue, published)
    -- Another worker's queue adds its own.
    metrics.publish_spans(figures, { exported = 1, dropped_queue_full = 0, dropped_export_failed = 3 }, {})
    local page = metrics.render(figures)
    assert_that.equal(16, series(page, "foobar_nginx_spans_exported_total"))
    assert_that.equal(2, series(page, 'foobar_nginx_spans_dropped_total{reason="queue_full"}'))
    assert_that.equal(3, series(page, 'foobar_nginx_spans_dropped_total{reason="export_failed"}'))
  end },
  { "a page before any request has every series at zero", function()
    local page = metrics.render(dict())
    assert_that.equal(0, series(page, 'foobar_nginx_requests_total{status_class="2xx"}'))
    assert_that.equal(0, series(page, 'foobar_nginx_upstream_response_seconds_bucket{le="+Inf"}'))
    assert_that.equal(0, series(page, "foobar_nginx_spans_exported_total"))
  end },
}
