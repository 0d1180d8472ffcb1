local Queue = require "otel.queue"
local assert_that = require "assert_that"

local function fill(queue, from, to)
  for i = from, to do
    queue:push("span" .. i)
  end
end

return {
  { "spans come out in batches of at most the batch size, oldest first", function()
    local queue = Queue.new(10)
    fill(queue, 1, 7)
    local batch = queue:take(5)
    assert_that.equal(5, #batch)
    assert_that.equal("span1", batch[1])
    assert_that.equal("span5", batch[5])
    assert_that.equal(2, queue.count)
    assert_that.equal("span6,span7", table.concat(queue:take(5), ","))
    assert_that.equal(0, #queue:take(5))
  end },
  { "a full queue refuses spans and counts them as dropped", function()
    local queue = Queue.new(3)
    fill(queue, 1, 3)
    assert_that.equal(false, queue:push("span4"))
    assert_that.equal(false, queue:push("span5"))
    assert_that.equal(3, queue.count)
    assert_that.equal(2, queue.dropped_queue_full)
  end },
  { "the queue wraps around its fixed slots without losing order", function()
    local queue = Queue.new(4)
    local expected, taken = {}, {}
    for round = 1, 25 do
      fill(queue, round * 10 + 1, round * 10 + 3)
      for i = round * 10 + 1, round * 10 + 3 do expected[#expected + 1] = "span" .. i end
      for _, item in ipairs(queue:take(3)) do taken[#taken + 1] = item end
    end
    assert_that.equal(table.concat(expected, ","), table.concat(taken, ","))
    assert_that.equal(0, queue.dropped_queue_full)
  end },
  { "the queue never holds more than its capacity", function()
    local queue = Queue.new(100)
    fill(queue, 1, 100000)
    local slots = 0
    for _ in pairs(queue.items) do slots = slots + 1 end
    assert_that.equal(100, slots)
    assert_that.equal(99900, queue.dropped_queue_full)
  end },
  { "the report line has a fixed format with cumulative counts and the worker pid", function()
    local queue = Queue.new(2)
    fill(queue, 1, 3)
    queue:record_exported(2)
    queue:record_export_failed(5)
    local line, new_drops = queue:report(42)
    assert_that.equal("otel: spans exported=2 dropped_queue_full=1 dropped_export_failed=5 (worker 42, since start)", line)
    assert_that.equal(true, new_drops)
    queue:record_exported(3)
    line, new_drops = queue:report(42)
    assert_that.equal("otel: spans exported=5 dropped_queue_full=1 dropped_export_failed=5 (worker 42, since start)", line)
    assert_that.equal(false, new_drops, "no new drops")
  end },
  { "no report line when nothing changed since the last one", function()
    local queue = Queue.new(2)
    assert_that.equal(nil, queue:report(7), "nothing exported or dropped yet")
    queue:record_exported(1)
    assert_that.truthy(queue:report(7), "a first line")
    assert_that.equal(nil, queue:report(7))
    queue:record_exported(1)
    assert_that.truthy(queue:report(7), "a line after a change")
    assert_that.equal(nil, queue:report(7))
  end },
}
