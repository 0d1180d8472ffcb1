-- One worker's export queue: a fixed-size ring of encoded spans, with the counters that say what
-- became of them. No nginx in here, so test/ runs it under plain LuaJIT.
local Queue = {}
Queue.__index = Queue

-- The report line, one per worker per interval when a count changed. Counts are cumulative since the
-- worker started; benchmarks grep the last line per worker pid and sum them, so keep it as it is:
--   otel: spans exported=<n> dropped_queue_full=<n> dropped_export_failed=<n> (worker <pid>, since start)
Queue.REPORT_FORMAT =
  "otel: spans exported=%d dropped_queue_full=%d dropped_export_failed=%d (worker %d, since start)"

function Queue.new(capacity)
  assert(capacity >= 1, "a queue holds at least one span")
  return setmetatable({
    capacity = capacity,
    items = {},
    first = 1, -- index of the oldest item in `items`
    count = 0,
    exported = 0,
    dropped_queue_full = 0,
    dropped_export_failed = 0,
    reported = "0 0 0", -- the counts of the last report line: a worker with nothing to say stays quiet
    reported_drops = 0,
  }, Queue)
end

-- Adds a span; false (and one more drop counted) when the queue is full.
function Queue:push(item)
  if self.count >= self.capacity then
    self.dropped_queue_full = self.dropped_queue_full + 1
    return false
  end
  self.items[(self.first + self.count - 1) % self.capacity + 1] = item
  self.count = self.count + 1
  return true
end

-- Removes and returns the oldest `size` spans (fewer when fewer are queued), oldest first.
function Queue:take(size)
  local batch = {}
  local items, capacity, first = self.items, self.capacity, self.first
  for i = 1, math.min(size, self.count) do
    batch[i] = items[first]
    items[first] = nil
    first = first % capacity + 1
  end
  self.first = first
  self.count = self.count - #batch
  return batch
end

function Queue:record_exported(span_count)
  self.exported = self.exported + span_count
end

function Queue:record_export_failed(span_count)
  self.dropped_export_failed = self.dropped_export_failed + span_count
end

-- The report line when a count changed since the last one (nil otherwise), and whether spans were
-- dropped since then (a warning, not a notice).
function Queue:report(pid)
  local counts = { self.exported, self.dropped_queue_full, self.dropped_export_failed }
  local key = table.concat(counts, " ")
  if key == self.reported then
    return nil, false
  end
  self.reported = key
  local drops = counts[2] + counts[3]
  local new_drops = drops > self.reported_drops
  self.reported_drops = drops
  return string.format(Queue.REPORT_FORMAT, counts[1], counts[2], counts[3], pid), new_drops
end

return Queue
