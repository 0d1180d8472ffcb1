local config = require "otel.config"
local assert_that = require "assert_that"

local function from(variables)
  return config.from_env(function(name) return variables[name] end)
end

local function resource_value(exporter, key)
  for _, attribute in ipairs(exporter.resource.attributes) do
    if attribute.key == key then
      return attribute.value.stringValue
    end
  end
end

return {
  { "without an endpoint nothing is exported, and the sampler is still read", function()
    local settings = from({ OTEL_TRACES_SAMPLER = "traceidratio", OTEL_TRACES_SAMPLER_ARG = "0.1" })
    assert_that.equal(nil, settings.exporter)
    assert_that.equal("traceidratio", settings.sampler.name)
    assert_that.equal(0.1, settings.sampler.ratio)
    assert_that.equal(0, #settings.warnings)
  end },
  { "the general endpoint gets /v1/traces appended, the traces endpoint is used as it is", function()
    local general = from({ OTEL_EXPORTER_OTLP_ENDPOINT = "http://collector:4318/" }).exporter
    assert_that.equal("collector", general.host)
    assert_that.equal(4318, general.port)
    assert_that.equal("collector:4318", general.host_header)
    assert_that.equal("/v1/traces", general.path)
    local traces = from({ OTEL_EXPORTER_OTLP_ENDPOINT = "http://x:1", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = "http://y/custom" }).exporter
    assert_that.equal("y", traces.host)
    assert_that.equal(80, traces.port)
    assert_that.equal("/custom", traces.path)
  end },
  { "https endpoints and protocols other than http/json are refused with a warning", function()
    local https = from({ OTEL_EXPORTER_OTLP_ENDPOINT = "https://collector:4318" })
    assert_that.equal(nil, https.exporter)
    assert_that.equal(1, #https.warnings)
    local grpc = from({ OTEL_EXPORTER_OTLP_ENDPOINT = "http://collector:4317", OTEL_EXPORTER_OTLP_PROTOCOL = "grpc" })
    assert_that.equal(nil, grpc.exporter)
    assert_that.truthy(grpc.warnings[1]:find("grpc", 1, true), "a warning naming the protocol")
  end },
  { "headers and resource attributes are read as URL-encoded lists", function()
    local exporter = from({
      OTEL_EXPORTER_OTLP_ENDPOINT = "http://c:1",
      OTEL_EXPORTER_OTLP_HEADERS = "x-otlp-api-key=abc%3D%3D, other = two",
      OTEL_RESOURCE_ATTRIBUTES = "service.instance.id=nginx-1,service.name=ignored",
      OTEL_SERVICE_NAME = "nginx",
    }).exporter
    assert_that.equal("x-otlp-api-key: abc==\r\nother: two\r\n", exporter.headers)
    assert_that.equal("nginx-1", resource_value(exporter, "service.instance.id"))
    assert_that.equal("nginx", resource_value(exporter, "service.name"))
  end },
  { "the service name comes from the resource attributes when OTEL_SERVICE_NAME is not set", function()
    local exporter = from({ OTEL_EXPORTER_OTLP_ENDPOINT = "http://c:1", OTEL_RESOURCE_ATTRIBUTES = "service.name=front" }).exporter
    assert_that.equal("front", resource_value(exporter, "service.name"))
  end },
  { "batch settings default to a queue of 8192 and batches of 512", function()
    local exporter = from({ OTEL_EXPORTER_OTLP_ENDPOINT = "http://c:1" }).exporter
    assert_that.equal(8192, exporter.max_queue_size)
    assert_that.equal(512, exporter.batch_size)
    assert_that.equal(5, exporter.delay)
    assert_that.equal(10000, exporter.timeout_ms)
  end },
  { "batch settings are read from OTEL_BSP_*, and a batch is never larger than the queue", function()
    local exporter = from({
      OTEL_EXPORTER_OTLP_ENDPOINT = "http://c:1", OTEL_BSP_SCHEDULE_DELAY = "1000",
      OTEL_BSP_MAX_QUEUE_SIZE = "100", OTEL_BSP_MAX_EXPORT_BATCH_SIZE = "200", OTEL_BSP_EXPORT_TIMEOUT = "3000",
    }).exporter
    assert_that.equal(1, exporter.delay)
    assert_that.equal(100, exporter.max_queue_size)
    assert_that.equal(100, exporter.batch_size)
    assert_that.equal(3000, exporter.timeout_ms)
  end },
  { "a batch setting that is not a positive whole number keeps its default, with a warning", function()
    local settings = from({ OTEL_EXPORTER_OTLP_ENDPOINT = "http://c:1", OTEL_BSP_MAX_QUEUE_SIZE = "0", OTEL_BSP_SCHEDULE_DELAY = "soon" })
    assert_that.equal(8192, settings.exporter.max_queue_size)
    assert_that.equal(5, settings.exporter.delay)
    assert_that.equal(2, #settings.warnings)
  end },
}
