-- Issue 12's proof: no write is sent twice, an unknown outcome is said (err.in_doubt) and
-- resolved by the externalReferenceId lookup, and every call -- sequential or bulk -- runs
-- the same pipeline (token, 401 rule, deadline, log events). The bundled server closes
-- connections where a spec asks (fault member "close"); its request records and its store
-- say how many POSTs arrived and how many referrals exist.
local referrals = require "referrals"
local cjson = require "cjson"
local fixtures = require "fixtures"
local helper = require "helper"

local TOKEN = "once-spec-token-12"
local COLLECTION = "/v1.0/engagements/referrals"
local POST = { method = "POST", path = COLLECTION }

local function documented(ext)
  local r = cjson.decode(fixtures.read("create-request.json"))
  r.externalReferenceId = ext
  return r
end

local function is_err(v) return getmetatable(v) ~= nil and v.category ~= nil end

describe("exactly once", function()
  local server

  setup(function() server = helper.start { "--token", TOKEN } end)
  teardown(function() server.stop() end)
  before_each(function() server.reset() end)

  local function count(method)
    local n = 0
    for _, r in ipairs(server.requests()) do if r.method == method then n = n + 1 end end
    return n
  end
  local function stored() return #server.referrals() end
  local function new(opts)
    opts = opts or {}
    opts.token = opts.token or TOKEN
    opts.base_url = server.base_url
    opts.retry_delay = opts.retry_delay or 0.01
    return referrals.new(opts)
  end

  describe("a create applied, then its kept-alive connection closed without a byte", function()
    for _, retries in ipairs { 0, 3 } do
      it("is sent once and in doubt (retries = " .. retries .. ")", function()
        local c = new { retries = retries }
        assert.is_table(c:create(documented())) -- the connection is kept alive
        server.faults { close = "after_apply", match = POST }
        local got, err = c:create(documented())
        c:close()
        assert.is_nil(got)
        assert.is_true(err.in_doubt)
        assert.is_false(err.retryable)
        assert.matches("may exist", err.message)
        assert.same({ 2, 2 }, { count("POST"), stored() })
      end)

      it("with externalReferenceId, returns the referral the lookup finds (retries = "
        .. retries .. ")", function()
        local c = new { retries = retries }
        assert.is_table(c:create(documented("crm-1")))
        server.faults { close = "after_apply", match = POST }
        local got = assert(c:create(documented("crm-2")))
        c:close()
        assert.equal("crm-2", got.externalReferenceId)
        assert.same({ 2, 2 }, { count("POST"), stored() })
        assert.equal(server.referrals()[2].id, got.id)
      end)
    end

    it("on a fresh connection (nothing came back) is in doubt too", function()
      local c = new {}
      server.faults { close = "after_apply", match = POST }
      local got, err = c:create(documented())
      c:close()
      assert.is_nil(got)
      assert.is_true(err.in_doubt)
      assert.same({ 1, 1 }, { count("POST"), stored() })
    end)
  end)

  it("a create closed before it was applied stays in doubt: nothing found, nothing re-sent", function()
    local c = new {}
    assert.is_table(c:create(documented("crm-a")))
    server.faults { close = "before_apply", match = POST }
    local got, err = c:create(documented("crm-b"))
    c:close()
    assert.is_nil(got)
    assert.is_true(err.in_doubt)
    assert.matches("none with its externalReferenceId was found", err.message)
    assert.same({ 2, 1 }, { count("POST"), stored() })
  end)

  it("a connection the server closed while idle is noticed before sending: one POST", function()
    local c = new { retries = 0 }
    server.faults { close = "when_idle", match = POST }
    assert.is_table(c:create(documented()))
    os.execute("sleep 0.05")
    assert.is_table(c:create(documented()))
    c:close()
    assert.same({ 2, 2 }, { count("POST"), stored() })
  end)

  it("keeps the connection alive from call to call (the body goes through a read callback)", function()
    local c = new {}
    local before = server.control("GET", "stats").connections
    for i = 1, 3 do assert.is_table(c:create(documented("alive-" .. i))) end
    local after = server.control("GET", "stats").connections
    c:close()
    assert.equal(2, after - before) -- the client's one connection, and this stats call's
  end)

  it("an update without If-Match closed after it was applied is in doubt, sent once", function()
    local c = new {}
    local a = assert(c:create(documented()))
    server.faults { close = "after_apply", match = { method = "PATCH" } }
    local got, err = c:update(a.id, { status = "Closed", substatus = "Won" }, { etag = nil })
    assert.is_nil(got)
    assert.is_true(err.in_doubt)
    assert.equal(1, count("PATCH"))
    assert.equal("Closed", server.referrals()[1].status)
    c:close()
  end)

  it("create_many: 5 of 20 creates closed after they were applied give 20 referrals", function()
    local c = new {}
    assert.is_table(c:create_many({ documented("warm-1"), documented("warm-2") },
      { concurrency = 2 })) -- connections kept alive for the run
    server.reset()
    local list = {}
    for i = 1, 20 do list[i] = documented("many-" .. i) end
    server.faults { close = "after_apply", count = 5, match = POST }
    local results = assert(c:create_many(list, { concurrency = 4 }))
    c:close()
    for i = 1, 20 do
      assert.is_table(results[i])
      assert.is_false(is_err(results[i]), tostring(results[i]))
      assert.equal("many-" .. i, results[i].externalReferenceId)
    end
    assert.same({ 20, 20 }, { count("POST"), stored() })
  end)

  for step = 1, 2 do
    it("create_shared: step " .. step .. " closed after it was applied is resolved", function()
      local c = new {}
      assert.is_table(c:list()) -- the connection is kept alive
      local ref = documented("shared-1")
      ref.type = "Shared"
      if step == 1 then
        server.faults { close = "after_apply", match = POST }
      else -- a fault without effect takes the first POST, so the second is closed
        server.faults { { delay_ms = 0, match = POST }, { close = "after_apply", match = POST } }
      end
      local mine, other = c:create_shared(ref)
      c:close()
      assert.is_table(mine, tostring(other))
      assert.is_table(other)
      assert.equal(mine.engagementId, other.engagementId)
      assert.equal("msft", other.target[1].id)
      assert.same({ 2, 2 }, { count("POST"), stored() })
    end)
  end

  it("connect: a create closed after it was applied is resolved, one connected half", function()
    local c = new {}
    local ref = documented("connect-1")
    ref.type = "Shared"
    local mine = assert(c:create(ref))
    server.faults { close = "after_apply", match = POST }
    local other = assert(c:connect(mine))
    assert.equal("msft", other.target[1].id)
    assert.same({ 2, 2 }, { count("POST"), stored() })
    assert.equal(other.id, assert(c:connect(mine)).id) -- again: nothing new
    c:close()
    assert.same({ 2, 2 }, { count("POST"), stored() })
  end)

  describe("bulk runs the pipeline", function()
    it("a 401 on some items asks the token function with force = true; they succeed", function()
      local calls, forced = 0, 0
      local c = new { token = function(opts) -- first a token the server refuses (revoked)
        calls = calls + 1
        if opts and opts.force then forced = forced + 1 end
        return forced > 0 and TOKEN or "revoked", 3600
      end }
      local list = {}
      for i = 1, 8 do list[i] = documented("auth-" .. i) end
      local results = assert(c:create_many(list, { concurrency = 4 }))
      c:close()
      for i = 1, 8 do assert.is_false(is_err(results[i]), tostring(results[i])) end
      local refused = 0
      for _, r in ipairs(server.requests()) do
        if r.headers.authorization == "Bearer revoked" then refused = refused + 1 end
      end
      -- each item sent with the revoked token forces one refresh; the token is cached
      assert.is_true(refused >= 1 and refused <= 4, "refused " .. refused)
      assert.same({ refused, 1 + refused }, { forced, calls })
      assert.same({ 8 + refused, 8 }, { count("POST"), stored() })
    end)

    it("tells the log function each item's events, with its index", function()
      local events = {}
      local c = new { log = function(e) events[#events + 1] = e end }
      server.faults { status = 503, match = { method = "GET" } }
      local a = assert(c:create(documented()))
      events = {}
      local results = assert(c:get_many({ a.id, a.id, a.id }, { concurrency = 3 }))
      c:close()
      for i = 1, 3 do assert.equal(a.id, results[i].id) end
      local seen = {}
      for _, e in ipairs(events) do
        assert.is_number(e.index)
        seen[e.index] = (seen[e.index] or "") .. e.type:sub(1, 3) .. ","
      end
      local retried = 0
      for i = 1, 3 do
        if seen[i] == "req,res,ret,req,res," then retried = retried + 1
        else assert.equal("req,res,", seen[i]) end
      end
      assert.equal(1, retried)
    end)

    it("bounds each item by the deadline, from its first attempt #timing", function()
      local c = new { timeout = 30 }
      local a = assert(c:create(documented()))
      server.faults { delay_ms = 5000, count = 2, match = { method = "GET" } }
      local elapsed, results = helper.timed(c.get_many, c, { a.id, a.id, a.id, a.id },
        { concurrency = 4, deadline = 1 })
      c:close()
      assert.is_true(elapsed < 1.5, "took " .. elapsed)
      local timeouts = 0
      for i = 1, 4 do
        if is_err(results[i]) then
          assert.equal("TIMEOUT", results[i].code)
          timeouts = timeouts + 1
        else
          assert.equal(a.id, results[i].id)
        end
      end
      assert.equal(2, timeouts)
    end)

    it("a token function that calls create_many gets busy; one referral is made", function()
      local inner
      local c
      c = new { token = function()
        if not inner then inner = { c:create_many({ documented() }) } end
        return TOKEN
      end }
      local results = assert(c:create_many({ documented() }))
      c:close()
      assert.is_false(is_err(results[1]))
      assert.is_nil(inner[1])
      assert.equal("busy", inner[2].code)
      assert.same({ 1, 1 }, { count("POST"), stored() })
    end)

    it("never loses an item: patterns of local failures across concurrency 1..16", function()
      local c = new {}
      local a = assert(c:create(documented()))
      local patterns = {
        function(i) return i % 2 == 0 end,
        function(i) return i % 3 ~= 0 end,
        function(i) return i <= 8 end,
        function(i) return i > 12 end,
        function() return true end,
        function(i) return i ~= 17 end,
      }
      for concurrency = 1, 16 do
        for p, bad in ipairs(patterns) do
          local ids, list = {}, {}
          for i = 1, 17 do
            ids[i] = bad(i) and "a b" or a.id
            list[i] = bad(i) and { type = "Nope" } or documented("p" .. p .. "-" .. i)
          end
          local got = assert(c:get_many(ids, { concurrency = concurrency }))
          for i = 1, 17 do
            if bad(i) then
              assert.equal("id", got[i].code, ("get c=%d p=%d i=%d"):format(concurrency, p, i))
            else
              assert.equal(a.id, got[i].id, ("get c=%d p=%d i=%d"):format(concurrency, p, i))
            end
          end
          if concurrency % 5 == 1 then
            got = assert(c:create_many(list, { concurrency = concurrency }))
            for i = 1, 17 do
              local ok = type(got[i]) == "table" and not is_err(got[i])
              assert.equal(not bad(i), ok, ("create c=%d p=%d i=%d"):format(concurrency, p, i))
            end
          end
        end
      end
      c:close()
    end)
  end)

  describe("the deadline is a hard bound #timing", function()
    it("against a server that never answers: get, create, list and bulk within 1 s", function()
      local c = new { timeout = 60, retries = 5 }
      local a = assert(c:create(documented()))
      server.faults { delay_ms = 20000, count = 10 }
      local calls = {
        function() return c:get(a.id, { deadline = 1 }) end,
        function() return c:create(documented("late"), { deadline = 1 }) end,
        function() return c:list(nil, { deadline = 1 }) end,
        function() return c:get_many({ a.id, a.id }, { deadline = 1 }) end,
      }
      for i, f in ipairs(calls) do
        local elapsed, got, err = helper.timed(f)
        assert.is_true(elapsed < 1.4, ("call %d took %.2f s"):format(i, elapsed))
        if i < 4 then
          assert.is_nil(got)
          assert.equal("TIMEOUT", err.code)
        else
          assert.same({ "TIMEOUT", "TIMEOUT" }, { got[1].code, got[2].code })
        end
      end
      c:close()
    end)
  end)

  it("a raising log function never hides the result", function()
    local calls = 0
    local c = new { log = function() calls = calls + 1; error("log sink is down") end }
    local got = assert(c:create(documented()))
    assert.is_string(got.id)
    assert.equal(1, calls) -- not called again during that call
    local results = assert(c:create_many({ documented(), documented() }))
    assert.is_string(results[1].id)
    assert.is_string(results[2].id)
    c:close()
    assert.equal(3, stored())
  end)
end)
