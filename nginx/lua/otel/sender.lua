-- Takes batches from a worker's queue and posts them, keeping at most one that failed transiently for
-- another attempt (otel/retry.lua decides when); while it waits, nothing else is sent and new spans queue.
-- The post, the clock and the log are given, so test/ runs this under plain LuaJIT without nginx.
local retry = require "otel.retry"

local Sender = {}
Sender.__index = Sender

-- options: queue (otel/queue.lua), encode(spans) -> body, post(body) -> ok or nil, error, HTTP status,
-- Retry-After seconds; now() -> seconds, random() -> [0, 1), warn(message, dropped, final);
-- policy (retry.DEFAULTS if nil).
function Sender.new(options)
  local sender = setmetatable({}, Sender)
  for key, value in pairs(options) do
    sender[key] = value
  end
  sender.policy = sender.policy or retry.DEFAULTS
  return sender
end

-- One attempt at a batch: true when the sender is done with it (exported or dropped), false when it is
-- held for another attempt. `final`: the worker is stopping, so a failed batch is dropped at once.
function Sender:attempt(batch, final)
  local ok, err, status, retry_after = self.post(batch.body)
  if ok then
    self.queue:record_exported(batch.span_count)
    return true
  end
  local delay, reason = batch:failed(self.now(), { status = status, retry_after = retry_after }, self.random)
  if delay and not final then
    self.held = batch
    self.warn(string.format("otel: export of %d span(s) failed (attempt %d): %s; next attempt in %.1f s",
      batch.span_count, batch.attempts, err, delay), false, final)
    return false
  end
  self.queue:record_export_failed(batch.span_count)
  self.warn(string.format("otel: %d span(s) dropped after %d attempt(s), %s: %s",
    batch.span_count, batch.attempts, reason or "the worker is stopping", err), true, final)
  return true
end

-- The held batch when its time has come (at once when `final`), then full batches from the queue, and
-- the rest too when `everything` (the schedule delay is up, or the worker is stopping).
function Sender:send(batch_size, everything, final)
  local held = self.held
  if held then
    if not final and self.now() < held.due then
      return
    end
    self.held = nil
    if not self:attempt(held, final) then
      return
    end
  end
  -- Only what is queued now is due; spans queued during the posts wait for a full batch or their delay.
  local queue = self.queue
  local due = everything and queue.count or 0
  while queue.count >= batch_size or due > 0 do
    local spans = queue:take(batch_size)
    due = due - #spans
    if not self:attempt(retry.batch(self.encode(spans), #spans, self.policy), final) then
      return
    end
  end
end

-- Seconds until the held batch is due, or nil when none is held.
function Sender:retry_in()
  return self.held and math.max(0, self.held.due - self.now()) or nil
end

return Sender
