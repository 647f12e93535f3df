-- Issue 4's proof: the client under faults injected by the fake server (/_fake/faults). For
-- each fault: how many attempts reached the server (its request records), how long the
-- waits took (wall clock, with a tolerance), the err fields, and the server's state -- never
-- two referrals where one was asked for (/_fake/referrals). Blocks tagged #timing measure
-- wall time: the valgrind run leaves them out (--exclude-tags=timing), as it is 20x slower.
local referrals = require "referrals"
local cjson = require "cjson"
local fixtures = require "fixtures"
local helper = require "helper"

local TOKEN = "faults-spec-token-5c"
local COLLECTION = "/v1.0/engagements/referrals"

local function documented() return cjson.decode(fixtures.read("create-request.json")) end

describe("retries under faults", function()
  local server, client

  setup(function()
    server = helper.start { "--token", TOKEN }
  end)
  teardown(function() server.stop() end)

  before_each(function()
    server.reset()
    client = referrals.new { token = TOKEN, base_url = server.base_url, timeout = 5,
      retries = 3, retry_delay = 0.01, max_retry_delay = 5 }
  end)
  after_each(function() client:close() end)

  local function attempts() return #server.requests() end
  local function stored() return #server.referrals() end
  local function post(fault)
    fault.match = { method = "POST", path = COLLECTION }
    server.faults(fault)
  end

  describe("429 #timing", function()
    it("with Retry-After waits as long as it says, then succeeds", function()
      local ref = assert(client:create(documented()))
      server.faults { status = 429, retry_after = "1", match = { method = "GET" } }
      local elapsed, got = helper.timed(client.get, client, ref.id)
      assert.equal(ref.id, got.id)
      assert.equal(3, attempts()) -- the create, the 429, the retry
      assert.is_true(elapsed >= 1.0 and elapsed < 1.8, "waited " .. elapsed)
    end)

    it("without Retry-After backs off briefly; a POST is retried (429: not processed)", function()
      post { status = 429, count = 2 }
      local elapsed, created = helper.timed(client.create, client, documented())
      assert.is_table(created)
      assert.equal(3, attempts())
      assert.equal(1, stored())
      assert.is_true(elapsed < 0.6, "waited " .. elapsed)
    end)

    it("gives up after retries, with attempts and retryable on the err", function()
      post { status = 429, count = 10 }
      local got, err = client:create(documented())
      assert.is_nil(got)
      assert.same({ "api", "tooManyRequests", 429, 4, true },
        { err.category, err.code, err.status, err.attempts, err.retryable })
      assert.equal(4, attempts())
      assert.equal(0, stored())
    end)

    it("honours retry-after-ms and x-ms-retry-after-ms over Retry-After", function()
      post { status = 429, retry_after = "30", headers = { ["retry-after-ms"] = "300" } }
      post { status = 503, headers = { ["x-ms-retry-after-ms"] = "200" } }
      local elapsed, created = helper.timed(client.create, client, documented())
      assert.is_table(created)
      assert.equal(3, attempts())
      assert.is_true(elapsed >= 0.5 and elapsed < 1.5, "waited " .. elapsed)
    end)

    it("stops when Retry-After is longer than max_retry_delay", function()
      post { status = 429, retry_after = "10" }
      local elapsed, got, err = helper.timed(client.create, client, documented())
      assert.is_nil(got)
      assert.same({ 429, 1, 10 }, { err.status, err.attempts, err.retry_after })
      assert.is_true(elapsed < 0.5, "waited " .. elapsed)
    end)
  end)

  describe("the deadline #timing", function()
    it("is never passed by a wait: a Retry-After beyond it stops at once", function()
      local patient = referrals.new { token = TOKEN, base_url = server.base_url,
        retry_delay = 0.01, max_retry_delay = 60 }
      post { status = 503, retry_after = "2" }
      local elapsed, got, err = helper.timed(patient.create, patient, documented(), { deadline = 1 })
      patient:close()
      assert.is_nil(got)
      assert.same({ 503, 1, true }, { err.status, err.attempts, err.retryable })
      assert.is_true(elapsed < 0.5, "waited " .. elapsed)
    end)

    it("bounds a run of backoffs, and a slow answer's timeout", function()
      local slow = referrals.new { token = TOKEN, base_url = server.base_url, retries = 100,
        retry_delay = 0.1, max_retry_delay = 0.1, deadline = 0.8 }
      server.faults { status = 500, count = 1000, match = { method = "GET" } }
      local elapsed, got, err = helper.timed(slow.list, slow)
      assert.is_nil(got)
      assert.equal(500, err.status)
      assert.is_true(err.attempts > 2 and err.attempts == attempts(), "attempts " .. err.attempts)
      assert.is_true(elapsed < 1.1, "took " .. elapsed)
      server.reset()
      server.faults { delay_ms = 3000, match = { method = "GET" } }
      elapsed, got, err = helper.timed(slow.list, slow, nil, { deadline = 0.5 })
      slow:close()
      assert.is_nil(got)
      assert.same({ "transport", "TIMEOUT" }, { err.category, err.code })
      assert.is_true(elapsed < 0.9, "took " .. elapsed)
    end)
  end)

  describe("503 and 500", function()
    it("retries a POST after 503 (not processed): exactly one referral", function()
      post { status = 503 }
      assert.is_table(client:create(documented()))
      assert.equal(2, attempts())
      assert.equal(1, stored())
    end)

    it("does not retry a POST after 500 (it may have been processed)", function()
      post { status = 500 }
      local got, err = client:create(documented())
      assert.is_nil(got)
      assert.same({ "api", "generalException", 500, 1, false },
        { err.category, err.code, err.status, err.attempts, err.retryable })
      assert.equal(1, attempts())
    end)

    it("retries a GET after 500, 502 and 504", function()
      server.faults { { status = 500, match = { method = "GET" } },
        { status = 502, match = { method = "GET" } }, { status = 504, match = { method = "GET" } } }
      assert.same({ value = {} }, client:list())
      assert.equal(4, attempts())
    end)
  end)

  describe("a timeout #timing", function()
    it("after a POST was sent is not retried: the service creates it once", function()
      local quick = referrals.new { token = TOKEN, base_url = server.base_url, timeout = 0.3,
        retry_delay = 0.01 }
      post { delay_ms = 1000 }
      local got, err = quick:create(documented())
      quick:close()
      assert.is_nil(got)
      assert.same({ "transport", "TIMEOUT", 1, false },
        { err.category, err.code, err.attempts, err.retryable })
      helper.sh("sleep 1")
      assert.equal(1, attempts())
      assert.equal(1, stored())
    end)

    it("of a GET is retried", function()
      local quick = referrals.new { token = TOKEN, base_url = server.base_url, timeout = 0.3,
        retry_delay = 0.01 }
      server.faults { delay_ms = 1000, match = { method = "GET" } }
      assert.same({ value = {} }, quick:list())
      quick:close()
      assert.equal(2, attempts())
    end)
  end)

  describe("a connection", function()
    it("dropped in the middle of the answer to a POST is not retried: one referral", function()
      post { drop = true }
      local got, err = client:create(documented())
      assert.is_nil(got)
      assert.same({ "transport", "RECV", 1, false },
        { err.category, err.code, err.attempts, err.retryable })
      assert.equal(1, attempts())
      assert.equal(1, stored())
    end)

    it("dropped in the middle of the answer to a GET is retried", function()
      local ref = assert(client:create(documented()))
      server.faults { drop = true, match = { method = "GET" } }
      assert.equal(ref.id, client:get(ref.id).id)
      assert.equal(3, attempts())
    end)

    it("refused before anything was sent is retried, for a POST too", function()
      local nowhere = referrals.new { token = TOKEN, base_url = "http://127.0.0.1:1",
        retries = 2, retry_delay = 0.01 }
      local got, err = nowhere:create(documented())
      nowhere:close()
      assert.is_nil(got)
      assert.same({ "transport", "CONNECT", 3, true },
        { err.category, err.code, err.attempts, err.retryable })
    end)
  end)

  describe("a hostile answer", function()
    it("malformed JSON after a create is a json error, not retried: one referral", function()
      post { malformed = true }
      local got, err = client:create(documented())
      assert.is_nil(got)
      assert.same({ "json", 201, 1, false }, { err.category, err.status, err.attempts, err.retryable })
      assert.is_number(err.position)
      assert.equal(1, stored())
    end)

    it("truncated, non-UTF-8, too deep, out of range, empty or not JSON: a clean err", function()
      local ref = assert(client:create(documented()))
      local get = { method = "GET" }
      local function get_with(fault)
        fault.match = get
        server.faults(fault)
        local got, err = client:get(ref.id)
        assert.is_nil(got)
        return err
      end
      local err = get_with { truncated = true }
      assert.same({ "json", 200 }, { err.category, err.status })
      assert.is_number(err.position)
      err = get_with { status = 200, body = ('{"x":'):rep(100) .. "1" .. ("}"):rep(100) }
      assert.same({ "json", "too_deep" }, { err.category, err.code })
      err = get_with { status = 200, body = '{"details":{"dealValue":1e999}}' }
      assert.same({ "json", "number_range" }, { err.category, err.code })
      assert.is_number(err.position)
      err = get_with { status = 200, body = "" }
      assert.same({ "json", "empty", 200 }, { err.category, err.code, err.status })
      err = get_with { status = 200, body = "<html>hi</html>", content_type = "text/html" }
      assert.same({ "json", "content_type" }, { err.category, err.code })
      assert.matches("text/html", err.message, 1, true)
    end)

    it("that is not UTF-8 is a json error with a position (the decoder the client uses)", function()
      -- the control API takes JSON, which cannot carry these bytes: decode them directly
      local got, err = referrals.decode('{"id":"ab\255\254"}')
      assert.is_nil(got)
      assert.same({ "json", 9 }, { err.category, err.position })
    end)

    it("larger than max_response is a clean TOO_LARGE error", function()
      local small = referrals.new { token = TOKEN, base_url = server.base_url, max_response = 100 }
      local ref = assert(client:create(documented()))
      local got, err = small:get(ref.id)
      small:close()
      assert.is_nil(got)
      assert.same({ "transport", "TOO_LARGE", false }, { err.category, err.code, err.retryable })
      assert.equal(2, attempts())
    end)
  end)

  describe("PATCH", function()
    it("412 for a stale If-Match is not retried", function()
      local ref = assert(client:create(documented()))
      local got, err = client:update(ref, { status = "Closed", substatus = "Won" },
        { etag = '"stale"' })
      assert.is_nil(got)
      assert.same({ "api", "preconditionFailed", 412, 1, false },
        { err.category, err.code, err.status, err.attempts, err.retryable })
      assert.equal(2, attempts())
    end)

    it("with If-Match is retried after 500; without it only when not processed", function()
      local ref = assert(client:create(documented()))
      server.faults { status = 500, match = { method = "PATCH" } }
      assert.is_table(client:update(ref, { status = "Closed", substatus = "Won" }))
      assert.equal(3, attempts())
      local fresh = assert(client:create(documented()))
      local before = attempts()
      server.faults { status = 500, match = { method = "PATCH" } }
      local got, err = client:update(fresh.id, { status = "Closed", substatus = "Won" })
      assert.is_nil(got)
      assert.same({ 500, 1, false }, { err.status, err.attempts, err.retryable })
      server.faults { status = 503, match = { method = "PATCH" } }
      assert.is_table(client:update(fresh.id, { status = "Closed", substatus = "Won" }))
      assert.equal(before + 3, attempts()) -- the 500, the 503, its retry
    end)
  end)

  describe("a 401", function()
    it("asks the token function again with force = true, and retries once", function()
      local calls, forced = 0, 0
      local refreshing = referrals.new { base_url = server.base_url, token = function(opts)
        calls = calls + 1
        if opts and opts.force then forced = forced + 1 end
        return TOKEN, 3600
      end }
      server.faults { status = 401, match = { method = "GET" } }
      assert.same({ value = {} }, refreshing:list())
      assert.same({ 2, 1, 2 }, { calls, forced, attempts() })
      server.faults { status = 401, count = 2, match = { method = "GET" } }
      local got, err = refreshing:list()
      refreshing:close()
      assert.is_nil(got)
      assert.same({ 401, 2, false }, { err.status, err.attempts, err.retryable })
    end)

    it("with a fixed token is final", function()
      server.faults { status = 401, match = { method = "GET" } }
      local _, err = client:list()
      assert.same({ 401, 1 }, { err.status, err.attempts })
    end)
  end)

  describe("the log function", function()
    it("sees request, response and retry events, the token redacted", function()
      local events = {}
      local logged = referrals.new { token = TOKEN, base_url = server.base_url, retry_delay = 0.01,
        log = function(e) events[#events + 1] = e end }
      post { status = 503 }
      assert.is_table(logged:create(documented()))
      logged:close()
      local kinds = {}
      for i, e in ipairs(events) do
        kinds[i] = e.type .. ":" .. e.attempt .. ":" .. tostring(e.status)
        assert.equal("POST", e.method)
        assert.equal(COLLECTION, e.path)
      end
      assert.same({ "request:1:nil", "response:1:503", "retry:1:503", "request:2:nil",
        "response:2:201" }, kinds)
      assert.equal("Bearer [redacted]", events[1].headers.Authorization)
      assert.is_number(events[2].duration)
      assert.is_number(events[3].delay)
      assert.is_nil(cjson.encode(events):find(TOKEN, 1, true))
    end)

    it("that raises never hides the result; the create happened once", function()
      local calls = 0
      local raising = referrals.new { token = TOKEN, base_url = server.base_url,
        log = function() calls = calls + 1; if calls == 1 then error("log sink is down") end end }
      assert.is_string(assert(raising:create(documented())).id)
      assert.equal(1, calls) -- not called again during that call
      assert.equal(1, stored())
      assert.is_table(raising:list()) -- the client still works: nothing was left half-done
      assert.equal(3, calls) -- called again in the next call: request, response
      raising:close()
    end)

    it("cannot start another call on its client, and a close() waits for the call's end", function()
      local inner
      local reentrant
      reentrant = referrals.new { token = TOKEN, base_url = server.base_url, log = function(e)
        if e.type == "response" then
          inner = { reentrant:list() }
          reentrant:close()
        end
      end }
      assert.same({ value = {} }, reentrant:list())
      assert.same({ "validation", "busy" }, { inner[2].category, inner[2].code })
      assert.matches("closed%)$", tostring(reentrant))
    end)
  end)
end)

-- The server's --latency-ms and --connection-memory (bench/latency.sh's far service). No clock
-- is read: a request held by a latency far longer than the spec shows as in flight and not yet
-- handled; a short one, and less memory per connection, change nothing in what is answered.
describe("the fake server's --latency-ms and --connection-memory", function()
  local function create_in_background(server)
    assert(helper.sh("env -u LD_PRELOAD curl -sS -X POST -H 'Authorization: Bearer " .. TOKEN ..
      "' -H 'Content-Type: application/json' --data-binary " ..
      helper.quote(fixtures.read("create-request.json")) .. " " ..
      helper.quote(server.base_url .. COLLECTION) .. " &"))
  end

  it("holds an API request before handling it; the control API is not held", function()
    local server = helper.start { "--token", TOKEN, "--latency-ms", "600000" }
    create_in_background(server)
    local stats
    for _ = 1, 200 do
      stats = server.control("GET", "stats")
      -- in flight from its first line, recorded once its body is in: wait for both
      if stats.in_flight == 1 and stats.requests == 1 then break end
      os.execute("sleep 0.05")
    end
    -- recorded and waiting, not stored: the wait comes before the handling
    assert.same({ 1, 1, 0 }, { stats.requests, stats.in_flight, stats.referrals })
    server.stop() -- cuts the wait short
  end)

  it("answers as a server without them does", function()
    local server = helper.start { "--token", TOKEN, "--latency-ms", "20", "--connection-memory", "32" }
    local client = referrals.new { token = TOKEN, base_url = server.base_url }
    local created = assert(client:create(documented()))
    local got = assert(client:get(created.id))
    assert.is_string(created.id)
    created["@odata.context"], got["@odata.context"] = nil, nil -- an entity's and a read's
    assert.same(created, got)
    local many = assert(client:create_many({ documented(), documented() }, { concurrency = 2 }))
    assert.same({ "table", "table" }, { type(many[1]), type(many[2]) })
    local wire = server.wire(0, TOKEN)
    assert.same({ COLLECTION, COLLECTION .. "/" .. created.id }, { wire[1].path, wire[2].path })
    assert.equal(3, #server.referrals())
    client:close()
    server.stop()
  end)

  it("take 0 to 600000 ms and 16 to 65536 KiB; anything else is a bad command line", function()
    for _, case in ipairs {
      { "--latency-ms", "0 to 600000", { "-1", "600001", "x", "" } },
      { "--connection-memory", "16 to 65536", { "15", "65537", "1k", "" } },
    } do
      for _, bad in ipairs(case[3]) do
        local p = assert(io.popen(helper.quote(helper.server_program()) .. " " .. case[1] .. "=" ..
          bad .. " 2>&1; echo \"exit $?\""))
        local out = p:read("*a")
        p:close()
        assert.equal("referrals-fake-server: " .. case[1] .. " needs an integer from " .. case[2] ..
          "\nexit 2\n", out)
      end
    end
  end)
end)
