-- Whether and when a batch the collector did not take is sent again, as the OTLP exporter specification
-- asks: transient failures (no answer, HTTP 429, 502, 503, 504) are retried with exponential backoff,
-- any other answer is final. No nginx in here, so test/ runs it under plain LuaJIT.
local M = {}

-- 1, 2, 4 and 8 s (less up to a fifth, so that workers failing together do not retry together), and a
-- batch is given up once its next attempt would begin more than 15 s after its first one failed.
M.DEFAULTS = {
  first_backoff = 1, -- seconds before the second attempt
  max_attempts = 5,
  max_elapsed = 15, -- seconds from the first failure to the last attempt's start
  jitter = 0.2, -- a backoff is shortened by up to this fraction
}

-- The statuses the specification calls retryable; every other answer means the batch will not be taken.
local RETRYABLE_STATUSES = { [429] = true, [502] = true, [503] = true, [504] = true }

-- status: the collector's HTTP status, or nil when no answer came (resolve, connect, send, receive, timeout).
function M.retryable(status)
  return status == nil or RETRYABLE_STATUSES[status] == true
end

-- A Retry-After header's value in seconds (the delay form only; a date is ignored), or nil.
function M.retry_after_seconds(value)
  return tonumber(value and value:match("^%s*(%d+)%s*$"))
end

-- After attempt number `attempts` of a batch failed, `elapsed` seconds after its first failure: the
-- seconds to wait before the next attempt, or nil and why the batch is given up.
-- failure = { status = HTTP status or nil, retry_after = seconds or nil }; random() returns [0, 1).
function M.next_delay(policy, attempts, elapsed, failure, random)
  if not M.retryable(failure.status) then
    return nil, "not retryable"
  end
  if attempts >= policy.max_attempts then
    return nil, attempts .. " attempts made"
  end
  local backoff = policy.first_backoff * 2 ^ (attempts - 1)
  local delay = backoff * (1 - policy.jitter * random())
  if failure.retry_after and failure.retry_after > delay then
    delay = failure.retry_after -- the collector asks for a longer pause (429, 503)
  end
  if elapsed + delay > policy.max_elapsed then
    return nil, string.format("no attempt left within %g s", policy.max_elapsed)
  end
  return delay
end

-- A batch on its way: its encoded body and span count, its attempts so far, and when the next is due.
local Batch = {}
Batch.__index = Batch

function M.batch(body, span_count, policy)
  return setmetatable({ body = body, span_count = span_count, policy = policy, attempts = 0 }, Batch)
end

-- Records an attempt that failed at `now`: the seconds until the next one (then due at batch.due),
-- or nil and why the batch is given up.
function Batch:failed(now, failure, random)
  self.attempts = self.attempts + 1
  self.first_failed_at = self.first_failed_at or now
  local delay, reason = M.next_delay(self.policy, self.attempts, now - self.first_failed_at, failure, random)
  if delay then
    self.due = now + delay
  end
  return delay, reason
end

return M
