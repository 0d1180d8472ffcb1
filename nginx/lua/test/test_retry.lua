local retry = require "otel.retry"
local assert_that = require "assert_that"

local policy = retry.DEFAULTS
local function no_jitter() return 0 end
local no_answer = { status = nil } -- connect refused, timeout, reset: no HTTP status came

return {
  { "no answer and HTTP 429, 502, 503 and 504 are retryable; every other status is not", function()
    assert_that.equal(true, retry.retryable(nil), "no answer")
    for _, status in ipairs({ 429, 502, 503, 504 }) do
      assert_that.equal(true, retry.retryable(status), "HTTP " .. status)
    end
    for _, status in ipairs({ 200, 400, 401, 403, 404, 413, 500, 501, 505 }) do
      assert_that.equal(false, retry.retryable(status), "HTTP " .. status)
    end
  end },
  { "the backoff doubles from one second", function()
    for attempts, expected in ipairs({ 1, 2, 4, 8 }) do
      assert_that.equal(expected, retry.next_delay(policy, attempts, 0, no_answer, no_jitter), "after attempt " .. attempts)
    end
  end },
  { "jitter shortens a backoff by at most a fifth", function()
    assert_that.near(0.8, retry.next_delay(policy, 1, 0, no_answer, function() return 0.999999 end), 0.001)
    assert_that.near(3.6, retry.next_delay(policy, 3, 0, { status = 503 }, function() return 0.5 end), 0.001)
  end },
  { "a status that is not retryable is given up at once", function()
    local delay, reason = retry.next_delay(policy, 1, 0, { status = 400 }, no_jitter)
    assert_that.equal(nil, delay)
    assert_that.equal("not retryable", reason)
  end },
  { "a batch is given up after five attempts", function()
    local delay, reason = retry.next_delay(policy, 5, 0, no_answer, no_jitter)
    assert_that.equal(nil, delay)
    assert_that.equal("5 attempts made", reason)
  end },
  { "no attempt starts more than 15 s after the first failure", function()
    assert_that.equal(8, retry.next_delay(policy, 4, 7, no_answer, no_jitter), "7 + 8 s is within 15 s")
    local delay, reason = retry.next_delay(policy, 4, 7.5, no_answer, no_jitter)
    assert_that.equal(nil, delay, "7.5 + 8 s is past 15 s")
    assert_that.equal("no attempt left within 15 s", reason)
  end },
  { "a longer Retry-After is honoured, within the same 15 s", function()
    assert_that.equal(3, retry.next_delay(policy, 1, 0, { status = 429, retry_after = 3 }, no_jitter))
    assert_that.equal(4, retry.next_delay(policy, 3, 0, { status = 503, retry_after = 1 }, no_jitter), "shorter: the backoff")
    assert_that.equal(nil, retry.next_delay(policy, 1, 0, { status = 503, retry_after = 120 }, no_jitter), "past 15 s")
  end },
  { "Retry-After is read in its seconds form only", function()
    assert_that.equal(120, retry.retry_after_seconds("120"))
    assert_that.equal(3, retry.retry_after_seconds(" 3 "))
    assert_that.equal(nil, retry.retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT"))
    assert_that.equal(nil, retry.retry_after_seconds("-1"))
    assert_that.equal(nil, retry.retry_after_seconds(nil))
  end },
  { "a batch that never gets through is tried five times within 15 s", function()
    local batch = retry.batch("body", 3, policy)
    local now, starts = 0, { 0 }
    while true do
      local delay = batch:failed(now, no_answer, no_jitter)
      if not delay then break end
      assert_that.equal(now + delay, batch.due)
      now = batch.due
      starts[#starts + 1] = now
    end
    assert_that.equal("0 1 3 7 15", table.concat(starts, " "))
    assert_that.equal(5, batch.attempts)
  end },
}
