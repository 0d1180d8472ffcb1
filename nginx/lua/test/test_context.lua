local context = require "otel.context"
local assert_that = require "assert_that"

local TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
local PARENT = "00f067aa0ba902b7"

local function sampled_share(sampler, count)
  local sampled = 0
  for i = 1, count do
    -- Trace ids spread over the whole range, as random ones are.
    local id = string.format("%08x%08x", (i * 2654435761) % 2 ^ 32, (i * 40503) % 2 ^ 32) .. string.rep("0", 15) .. "1"
    if context.should_sample(sampler, id, nil) then
      sampled = sampled + 1
    end
  end
  return sampled / count
end

return {
  { "a valid traceparent gives its trace id, parent id and sampled flag", function()
    local parsed = context.parse_traceparent("00-" .. TRACE .. "-" .. PARENT .. "-01")
    assert_that.equal(TRACE, parsed.trace_id)
    assert_that.equal(PARENT, parsed.parent_id)
    assert_that.equal(true, parsed.sampled)
    assert_that.equal(false, context.parse_traceparent("00-" .. TRACE .. "-" .. PARENT .. "-00").sampled)
  end },
  { "the sampled flag is the lowest bit of the flags", function()
    assert_that.equal(true, context.parse_traceparent("00-" .. TRACE .. "-" .. PARENT .. "-03").sampled)
    assert_that.equal(false, context.parse_traceparent("00-" .. TRACE .. "-" .. PARENT .. "-02").sampled)
  end },
  { "invalid traceparents are refused", function()
    for _, value in ipairs({
      "", "not a traceparent", "00-" .. TRACE .. "-" .. PARENT,
      "00-" .. TRACE:upper() .. "-" .. PARENT .. "-01", -- upper case
      "00-" .. string.rep("0", 32) .. "-" .. PARENT .. "-01", -- all-zero trace id
      "00-" .. TRACE .. "-" .. string.rep("0", 16) .. "-01", -- all-zero parent id
      "ff-" .. TRACE .. "-" .. PARENT .. "-01", -- forbidden version
      "00-" .. TRACE .. "-" .. PARENT .. "-01-extra", -- version 00 has four fields
      "00-" .. TRACE:sub(2) .. "-" .. PARENT .. "-01", -- short trace id
    }) do
      assert_that.equal(nil, context.parse_traceparent(value), value)
    end
    assert_that.equal(nil, context.parse_traceparent(nil))
  end },
  { "a later version may carry more fields after a dash", function()
    assert_that.truthy(context.parse_traceparent("01-" .. TRACE .. "-" .. PARENT .. "-01-more"))
    assert_that.equal(nil, context.parse_traceparent("01-" .. TRACE .. "-" .. PARENT .. "-01more"))
  end },
  { "a traceparent is formatted with flags 01 when sampled and 00 when not", function()
    assert_that.equal("00-" .. TRACE .. "-" .. PARENT .. "-01", context.format_traceparent(TRACE, PARENT, true))
    assert_that.equal("00-" .. TRACE .. "-" .. PARENT .. "-00", context.format_traceparent(TRACE, PARENT, false))
  end },
  { "the default sampler is parentbased_always_on", function()
    local sampler, warning = context.sampler(nil, nil)
    assert_that.equal("parentbased_always_on", sampler.name)
    assert_that.equal(nil, warning)
    assert_that.equal(true, context.should_sample(sampler, TRACE, nil))
    assert_that.equal(false, context.should_sample(sampler, TRACE, { sampled = false }))
  end },
  { "an unknown sampler falls back to the default with a warning", function()
    local sampler, warning = context.sampler("jaeger_remote", nil)
    assert_that.equal("parentbased_always_on", sampler.name)
    assert_that.truthy(warning and warning:find("jaeger_remote", 1, true), "a warning naming the sampler")
  end },
  { "sampler names are read case-insensitively and trimmed", function()
    assert_that.equal("always_off", context.sampler(" Always_Off ", nil).name)
  end },
  { "the ratio is read from the argument and defaults to one", function()
    assert_that.equal(0.25, context.sampler("traceidratio", "0.25").ratio)
    assert_that.equal(1, context.sampler("traceidratio", nil).ratio)
    assert_that.equal(1, context.sampler("parentbased_traceidratio", "").ratio)
  end },
  { "a ratio outside zero to one or not a number is replaced by one, with a warning", function()
    for _, arg in ipairs({ "1.5", "-0.1", "half" }) do
      local sampler, warning = context.sampler("traceidratio", arg)
      assert_that.equal(1, sampler.ratio, arg)
      assert_that.truthy(warning, "a warning for " .. arg)
    end
  end },
  { "always_on and always_off ignore the parent's flag", function()
    local on, off = context.sampler("always_on"), context.sampler("always_off")
    assert_that.equal(true, context.should_sample(on, TRACE, { sampled = false }))
    assert_that.equal(false, context.should_sample(off, TRACE, { sampled = true }))
    assert_that.equal(true, context.should_sample(on, TRACE, nil))
    assert_that.equal(false, context.should_sample(off, TRACE, nil))
  end },
  { "parent-based samplers follow the parent and decide roots with their root sampler", function()
    local on = context.sampler("parentbased_always_on")
    local off = context.sampler("parentbased_always_off")
    local ratio = context.sampler("parentbased_traceidratio", "0")
    assert_that.equal(true, context.should_sample(off, TRACE, { sampled = true }))
    assert_that.equal(false, context.should_sample(on, TRACE, { sampled = false }))
    assert_that.equal(true, context.should_sample(ratio, TRACE, { sampled = true }))
    assert_that.equal(false, context.should_sample(off, TRACE, nil))
    assert_that.equal(false, context.should_sample(ratio, TRACE, nil))
    assert_that.equal(true, context.should_sample(on, TRACE, nil))
  end },
  { "traceidratio samples about the given share of roots", function()
    assert_that.near(0.1, sampled_share(context.sampler("traceidratio", "0.1"), 20000), 0.01, "ratio 0.1")
    assert_that.near(0.5, sampled_share(context.sampler("parentbased_traceidratio", "0.5"), 20000), 0.01, "ratio 0.5")
    assert_that.equal(0, sampled_share(context.sampler("traceidratio", "0"), 1000))
    assert_that.equal(1, sampled_share(context.sampler("traceidratio", "1"), 1000))
  end },
  { "traceidratio decides by the trace id's first 8 bytes as a signed number, as OpenTelemetry .NET does", function()
    -- 0x1000...: 2^60, an eighth of 2^63; 0xf000...: -2^60 as a signed number, the same distance from zero.
    assert_that.equal(true, context.trace_id_in_ratio("1000000000000000" .. string.rep("f", 16), 0.126))
    assert_that.equal(false, context.trace_id_in_ratio("1000000000000000" .. string.rep("f", 16), 0.124))
    assert_that.equal(true, context.trace_id_in_ratio("f000000000000000" .. string.rep("0", 16), 0.126))
    assert_that.equal(false, context.trace_id_in_ratio("f000000000000000" .. string.rep("0", 16), 0.124))
    -- The last 8 bytes play no part.
    assert_that.equal(false, context.trace_id_in_ratio("1000000000000000" .. string.rep("0", 16), 0.124))
  end },
}
