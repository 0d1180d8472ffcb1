local span = require "otel.span"
local assert_that = require "assert_that"

local function attributes_of(built)
  local found = {}
  for _, attribute in ipairs(built.attributes) do
    local value = attribute.value
    found[attribute.key] = value.stringValue or value.intValue or value.doubleValue
  end
  return found
end

local context = { trace_id = string.rep("a", 32), span_id = string.rep("b", 16), parent_id = string.rep("c", 16) }

return {
  { "upstream response times of every upstream tried are summed", function()
    assert_that.near(0.016, span.upstream_seconds("0.004, 0.010 : 0.002"), 1e-9)
    assert_that.near(0.25, span.upstream_seconds("0.250"), 1e-9)
  end },
  { "no upstream response time gives no attribute", function()
    assert_that.equal(nil, span.upstream_seconds(nil))
    assert_that.equal(nil, span.upstream_seconds(""))
    assert_that.equal(nil, span.upstream_seconds("-"))
    assert_that.equal(nil, span.upstream_seconds("- : -"))
  end },
  { "a span carries nginx's measurements as attributes", function()
    local built = span.build({
      request_method = "GET", scheme = "http", uri = "/posts", args = "page=2", host = "www.foobar.com",
      server_port = "80", remote_addr = "10.0.0.1", server_protocol = "HTTP/1.1", body_bytes_sent = "1234",
      request_id = "r1", request_time = "0.012", upstream_addr = "10.0.0.2:5000", upstream_status = "200",
      upstream_response_time = "0.010",
    }, 200, 1700000000.123, "1700000000130000000", context)
    local found = attributes_of(built)
    assert_that.equal("GET", built.name)
    assert_that.equal("/posts", found["url.path"])
    assert_that.equal("page=2", found["url.query"])
    assert_that.equal("80", found["server.port"])
    assert_that.equal("1.1", found["network.protocol.version"])
    assert_that.equal("200", found["http.response.status_code"])
    assert_that.equal("1234", found["http.response.body.size"])
    assert_that.near(0.010, found["nginx.upstream.response_time"], 1e-9)
    assert_that.equal(nil, found["user_agent.original"], "no user agent sent, no attribute")
    assert_that.equal("1700000000123000000", built.startTimeUnixNano)
    assert_that.equal(context.parent_id, built.parentSpanId)
    assert_that.equal(nil, built.status.code)
  end },
  { "only a 5xx marks the span as an error", function()
    assert_that.equal(2, span.build({ request_method = "GET" }, 502, 1, "1", context).status.code)
    assert_that.equal(nil, span.build({ request_method = "GET" }, 444, 1, "1", context).status.code)
    assert_that.equal(nil, span.build({ request_method = "GET" }, 404, 1, "1", context).status.code)
  end },
}
