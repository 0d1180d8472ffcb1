local Queue = require "otel.queue"
local Sender = require "otel.sender"
local assert_that = require "assert_that"

-- A collector that answers from a script: each entry is { ok } or { nil, error, status, retry_after };
-- past the script's end it takes everything. It records the bodies it was sent, in order.
local function collector(script)
  local c = { bodies = {}, script = script or {} }
  c.post = function(body)
    c.bodies[#c.bodies + 1] = body
    local answer = c.script[#c.bodies] or { true }
    return answer[1], answer[2], answer[3], answer[4]
  end
  return c
end

local REFUSED = { nil, "connect: connection refused" }
local UNAVAILABLE = { nil, "the collector answered HTTP 503", 503 }
local BAD_REQUEST = { nil, "the collector answered HTTP 400", 400 }

-- A sender over a queue of `capacity` holding spans span1..span<count>, with a clock the test moves.
local function setup(capacity, count, script)
  local queue = Queue.new(capacity)
  for i = 1, count do queue:push("span" .. i) end
  local c = collector(script)
  local s = { queue = queue, collector = c, time = 100, warnings = {} }
  s.sender = Sender.new({
    queue = queue,
    encode = function(spans) return table.concat(spans, ",") end,
    post = c.post,
    now = function() return s.time end,
    random = function() return 0 end,
    warn = function(message, dropped, final)
      s.warnings[#s.warnings + 1] = { message = message, dropped = dropped, final = final }
    end,
  })
  return s
end

return {
  { "a batch refused once is held, sent again when due, and counted as exported", function()
    local s = setup(10, 4, { REFUSED })
    s.sender:send(2, true)
    assert_that.equal(1, #s.collector.bodies, "nothing else is sent while a batch waits")
    assert_that.equal(2, s.queue.count, "the rest stays queued")
    assert_that.equal(1, s.sender:retry_in())
    s.time = 100.5
    s.sender:send(2, true)
    assert_that.equal(1, #s.collector.bodies, "not before it is due")
    s.time = 101
    s.sender:send(2, true)
    assert_that.equal("span1,span2 span1,span2 span3,span4", table.concat(s.collector.bodies, " "))
    assert_that.equal(4, s.queue.exported)
    assert_that.equal(0, s.queue.dropped_export_failed)
    assert_that.equal(nil, s.sender.held)
    assert_that.equal(nil, s.sender:retry_in())
    assert_that.truthy(s.warnings[1].message:find("export of 2 span(s) failed (attempt 1): connect: connection refused; next attempt in 1.0 s", 1, true),
      "the retry is logged with its error: " .. s.warnings[1].message)
    assert_that.equal(false, s.warnings[1].dropped)
  end },
  { "an answer that is not retryable drops the batch at once, and the next batch still goes", function()
    local s = setup(10, 4, { BAD_REQUEST })
    s.sender:send(2, true)
    assert_that.equal(2, #s.collector.bodies)
    assert_that.equal(2, s.queue.exported)
    assert_that.equal(2, s.queue.dropped_export_failed)
    assert_that.equal(nil, s.sender.held)
    assert_that.equal("otel: 2 span(s) dropped after 1 attempt(s), not retryable: the collector answered HTTP 400",
      s.warnings[1].message)
    assert_that.equal(true, s.warnings[1].dropped)
  end },
  { "a batch that keeps failing is dropped after its last attempt, with the reason", function()
    local s = setup(10, 2, { UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE })
    s.sender:send(2, true)
    for _ = 1, 10 do
      if not s.sender.held then break end
      assert_that.equal(0, s.queue.dropped_export_failed, "not dropped while attempts are left")
      s.time = s.sender.held.due
      s.sender:send(2, true)
    end
    assert_that.equal(5, #s.collector.bodies)
    assert_that.equal(2, s.queue.dropped_export_failed)
    assert_that.equal(0, s.queue.exported)
    assert_that.equal(nil, s.sender.held)
    assert_that.equal(115, s.time, "the last attempt 15 s after the first failure")
    local last = s.warnings[#s.warnings]
    assert_that.equal("otel: 2 span(s) dropped after 5 attempt(s), 5 attempts made: the collector answered HTTP 503", last.message)
    assert_that.equal(true, last.dropped)
  end },
  { "while a batch waits, new spans queue up to the queue's bound and one batch at most is held", function()
    local s = setup(6, 2, { REFUSED })
    s.sender:send(2, true)
    for i = 3, 20 do
      s.queue:push("span" .. i)
      s.sender:send(2, false)
      s.sender:send(2, true)
    end
    assert_that.equal(1, #s.collector.bodies)
    assert_that.equal("span1,span2", s.sender.held.body)
    assert_that.equal(6, s.queue.count)
    assert_that.equal(12, s.queue.dropped_queue_full)
    s.time = s.sender.held.due
    s.sender:send(2, true)
    assert_that.equal(8, s.queue.exported)
    assert_that.equal(0, s.queue.count)
  end },
  { "a stopping worker tries the held batch once more before its time, then drops it", function()
    local s = setup(10, 4, { REFUSED, REFUSED, REFUSED })
    s.sender:send(2, true)
    s.sender:send(2, true, true)
    assert_that.equal(3, #s.collector.bodies, "the held batch, then the queued one, once each")
    assert_that.equal(4, s.queue.dropped_export_failed)
    assert_that.equal(nil, s.sender.held)
    local last = s.warnings[#s.warnings]
    assert_that.equal("otel: 2 span(s) dropped after 1 attempt(s), the worker is stopping: connect: connection refused", last.message)
    assert_that.equal(true, last.final)
  end },
  { "a stopping worker drops a batch the collector refuses for good with that reason", function()
    local s = setup(10, 2, { BAD_REQUEST })
    s.sender:send(2, true, true)
    assert_that.equal("otel: 2 span(s) dropped after 1 attempt(s), not retryable: the collector answered HTTP 400",
      s.warnings[1].message)
    assert_that.equal(2, s.queue.dropped_export_failed)
  end },
  { "a stopping worker's last attempt that succeeds counts as exported", function()
    local s = setup(10, 2, { UNAVAILABLE })
    s.sender:send(2, true)
    s.sender:send(2, true, true)
    assert_that.equal(2, s.queue.exported)
    assert_that.equal(0, s.queue.dropped_export_failed)
  end },
  { "a Retry-After longer than the backoff sets when the batch is due", function()
    local s = setup(10, 2, { { nil, "the collector answered HTTP 429", 429, 4 } })
    s.sender:send(2, true)
    assert_that.equal(104, s.sender.held.due)
  end },
  { "without `everything` only full batches leave, and a held batch still goes when due", function()
    local s = setup(10, 3, { REFUSED })
    s.sender:send(2, false)
    assert_that.equal(1, #s.collector.bodies)
    s.time = s.sender.held.due
    s.sender:send(2, false)
    assert_that.equal(2, s.queue.exported)
    assert_that.equal(1, s.queue.count, "a partial batch waits for its delay")
  end },
}
