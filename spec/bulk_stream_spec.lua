-- Bulk that streams (issue 16) against the bundled fake server: create_many and get_many with
-- an iterator for input and opts.on_result for output give what the table forms give, pull
-- items only as slots free up, stop cleanly when a callback raises, and keep the exactly-once
-- rules; plan:apply reports through on_result too.
local referrals = require "referrals"
local cjson = require "cjson"
local fixtures = require "fixtures"
local helper = require "helper"

local TOKEN = "stream-token-9d41"
local MISSING_ID = "00000000-0000-4000-8000-000000000000"
local POST = { method = "POST", path = "/v1.0/engagements/referrals" }

local function request(i)
  local r = cjson.decode(fixtures.read("create-request.json"))
  r.name = "stream " .. i
  r.externalReferenceId = "stream-" .. i
  return r
end

local function requests(n)
  local list = {}
  for i = 1, n do list[i] = request(i) end
  return list
end

-- An iterator over list's values (nil at the end), counting the items pulled in pulled[1].
local function iterate(list, pulled)
  local i = 0
  return function()
    i = i + 1
    if pulled and list[i] ~= nil then pulled[1] = i end
    return list[i]
  end
end

-- on_result that keeps every call: got[i] = { ref, err }, and counts calls per index.
local function collector()
  local got, calls = {}, {}
  local function on_result(i, ref, err)
    calls[i] = (calls[i] or 0) + 1
    got[i] = { ref, err }
  end
  return on_result, got, calls
end

-- The results a table-mode call gives, in the form of a collector's got.
local function as_pairs(results)
  local out = {}
  for i, r in ipairs(results) do
    if referrals.is_error(r) then out[i] = { nil, r } else out[i] = { r } end
  end
  return out
end

-- A referral without the members the server sets for each create (they differ by run).
local SERVER_MEMBERS = { "id", "engagementId", "createdDateTime", "updatedDateTime",
  "acceptedDateTime", "expirationDateTime", "eTag", "links" }
local function given(pair)
  local out = { pair[1] and cjson.decode(cjson.encode(pair[1])), pair[2] }
  for _, k in ipairs(SERVER_MEMBERS) do if out[1] then out[1][k] = nil end end
  return out
end

-- The recorded requests, as wire() shows them, by the body's name (the order of a run's
-- requests depends on which transfer finishes first).
local function wire_by_name(server)
  local out = {}
  for _, w in ipairs(server.wire(nil, TOKEN)) do out[w.body.name] = w end
  return out
end

describe("bulk that streams", function()
  local server, client

  setup(function()
    server = helper.start { "--token", TOKEN }
    client = referrals.new { token = TOKEN, base_url = server.base_url, timeout = 10,
      retry_delay = 0.01 }
  end)

  teardown(function()
    client:close()
    server.stop()
  end)

  before_each(function() server.reset() end)

  it("create_many: on_result gets every index once, as the table form's results", function()
    local list = requests(12)
    list[3].type = "Sideways" -- refused without a request, in place
    local results = assert(client:create_many(list, { concurrency = 4 }))
    local table_wire = wire_by_name(server)
    server.reset()
    local on_result, got, calls = collector()
    local summary = assert(client:create_many(iterate(requests(12)), {
      concurrency = 4, on_result = on_result,
    }))
    -- the iterator's item 3 is valid: the table form's item 3 is compared alone
    assert.equal("validation", results[3].category)
    assert.equal("enum", results[3].code)
    local expected = as_pairs(results)
    for i = 1, 12 do
      assert.equal(1, calls[i])
      if i ~= 3 then assert.same(given(expected[i]), given(got[i])) end
    end
    assert.same({ items = 12, ok = 12, failed = 0, in_doubt = 0 }, summary)
    local stream_wire = wire_by_name(server)
    table_wire["stream 3"] = stream_wire["stream 3"]
    assert.same(table_wire, stream_wire)
  end)

  it("create_many: a table with on_result reports refused items too, and keeps no list", function()
    local list = requests(5)
    list[2] = "not a table"
    local on_result, got, calls = collector()
    local summary = assert(client:create_many(list, { concurrency = 2, on_result = on_result }))
    assert.same({ items = 5, ok = 4, failed = 1, in_doubt = 0 }, summary)
    for i = 1, 5 do assert.equal(1, calls[i]) end
    assert.is_nil(got[2][1])
    assert.same({ "validation", "type" }, { got[2][2].category, got[2][2].code })
    for _, i in ipairs { 1, 3, 4, 5 } do assert.equal("stream " .. i, got[i][1].name) end
    assert.equal(4, #server.requests())
  end)

  it("get_many: on_result and an iterator give exactly the table form's results", function()
    local created = assert(client:create_many(requests(4)))
    local ids = { created[1].id, MISSING_ID, created[3].id, "bad/id", created[4].id }
    local expected = as_pairs(assert(client:get_many(ids, { concurrency = 3 })))
    local on_result, got, calls = collector()
    local summary = assert(client:get_many(iterate(ids), { concurrency = 3, on_result = on_result }))
    for i = 1, 5 do -- the server's request-id of an answer is its own each time
      assert.equal(1, calls[i])
      if got[i][2] then got[i][2].request_id, expected[i][2].request_id = nil, nil end
    end
    assert.same(expected, got)
    assert.same({ items = 5, ok = 3, failed = 2, in_doubt = 0 }, summary)
    assert.equal(404, got[2][2].status)
    assert.equal("validation", got[4][2].category)
  end)

  it("an iterator without on_result gives the results table", function()
    local created = assert(client:create_many(iterate(requests(6)), { concurrency = 2 }))
    assert.equal(6, #created)
    for i = 1, 6 do assert.equal("stream " .. i, created[i].name) end
    local ids = {}
    for i = 1, 6 do ids[i] = created[i].id end
    local got = assert(client:get_many(iterate(ids)))
    for i = 1, 6 do assert.equal(created[i].id, got[i].id) end
    assert.same({}, client:get_many(function() return nil end))
  end)

  it("an item of the iterator that is no referral is that item's error, the rest go on", function()
    local items = { request(1), "text", request(3), false, request(5) }
    local i = 0
    local on_result, got = collector()
    local summary = assert(client:create_many(function()
      i = i + 1
      if i <= 5 then return items[i] end
    end, { on_result = on_result }))
    assert.same({ items = 5, ok = 3, failed = 2, in_doubt = 0 }, summary)
    for _, k in ipairs { 2, 4 } do
      assert.same({ "validation", "type" }, { got[k][2].category, got[k][2].code })
      assert.matches("item " .. k .. ": a referral table expected", got[k][2].message)
    end
    local bad = assert(client:get_many(iterate { 42, "" }))
    assert.same({ "validation", "id" }, { bad[1].category, bad[1].code })
    assert.same({ "validation", "id" }, { bad[2].category, bad[2].code })
    assert.equal(3, #server.requests())
  end)

  it("pulls an item only when a slot is free, and runs the asked concurrency", function()
    server.faults { { delay_ms = 100, count = 12, match = POST } }
    local pulled, worst, reported = { 0 }, 0, 0
    assert(client:create_many(iterate(requests(24), pulled), {
      concurrency = 3,
      on_result = function()
        reported = reported + 1
        worst = math.max(worst, pulled[1] - reported + 1) -- this one was still in flight
      end,
    }))
    assert.equal(24, reported)
    assert.equal(3, worst)
    assert.equal(3, server.control("GET", "stats").max_in_flight)
    assert.equal(24, #server.requests())
  end)

  it("progress gets done and no total for an iterator", function()
    local calls = {}
    assert(client:get_many(iterate { MISSING_ID, MISSING_ID }, {
      concurrency = 1, progress = function(done, total) calls[#calls + 1] = { done, total } end,
    }))
    assert.same({ { 1 }, { 2 } }, calls)
  end)

  it("stops when on_result raises: nil, err with the items in flight; the client goes on", function()
    server.faults { { delay_ms = 200, count = 4, match = POST } }
    local calls = 0
    local r, err = client:create_many(iterate(requests(10)), {
      concurrency = 4,
      on_result = function(i)
        calls = calls + 1
        error("stop at " .. i)
      end,
    })
    assert.is_nil(r)
    assert.equal(1, calls)
    assert.equal("aborted", err.code)
    assert.matches("on_result raised an error: .*stop at", err.message)
    assert.equal(3, #err.in_flight) -- the other three of the first four, unreported
    assert.is_true(err.in_doubt)
    assert.equal(4, #server.requests()) -- nothing more was pulled or sent
    local got = assert(client:get_many(iterate { MISSING_ID }))
    assert.equal(404, got[1].status)
  end)

  it("stops when the iterator raises, after what it gave was reported or is in flight", function()
    local n, reported = 0, {}
    local r, err = client:create_many(function()
      n = n + 1
      if n == 4 then error("no more today") end
      return request(n)
    end, { concurrency = 2, on_result = function(i) reported[#reported + 1] = i end })
    assert.is_nil(r)
    assert.equal("aborted", err.code)
    assert.matches("the iterator raised an error: .*no more today", err.message)
    -- items 1..3 were pulled: each was either reported or is named in flight
    local seen = {}
    for _, i in ipairs(reported) do seen[i] = true end
    for _, i in ipairs(err.in_flight) do
      assert.is_nil(seen[i])
      seen[i] = true
    end
    assert.same({ true, true, true }, seen)
    assert(client:create(request(99)))
  end)

  it("raises for an on_result or an input of the wrong type", function()
    assert.matches("opts.on_result: function expected",
      helper.raised(client.create_many, client, {}, { on_result = true }))
    assert.matches("opts.on_result: function expected",
      helper.raised(client.get_many, client, iterate {}, { on_result = "print" }))
    assert.matches("table or function %(an iterator%) expected",
      helper.raised(client.create_many, client, "list"))
  end)

  describe("exactly once, with an iterator and on_result", function()
    it("creates closed after they were applied are looked up: every item once", function()
      local warm = assert(client:create_many(requests(4), { concurrency = 4 }))
      assert.equal(4, #warm) -- the connections are kept alive for the run
      server.reset()
      server.faults { close = "after_apply", count = 5, match = POST }
      local on_result, got, calls = collector()
      local summary = assert(client:create_many(iterate(requests(20)), {
        concurrency = 4, on_result = on_result,
      }))
      assert.same({ items = 20, ok = 20, failed = 0, in_doubt = 0 }, summary)
      for i = 1, 20 do
        assert.equal(1, calls[i])
        assert.equal("stream-" .. i, got[i][1].externalReferenceId)
      end
      local posts = 0
      for _, rec in ipairs(server.requests()) do posts = posts + (rec.method == "POST" and 1 or 0) end
      assert.same({ 20, 20 }, { posts, #server.referrals() })
    end)

    it("without externalReferenceId, a closed create is in doubt in on_result, never resent", function()
      assert(client:create_many(requests(2), { concurrency = 2 }))
      server.reset()
      server.faults { close = "after_apply", count = 2, match = POST }
      local list = requests(6)
      for _, r in ipairs(list) do r.externalReferenceId = nil end
      local on_result, got = collector()
      local summary = assert(client:create_many(iterate(list), { concurrency = 2, on_result = on_result }))
      assert.same({ items = 6, ok = 4, failed = 2, in_doubt = 2 }, summary)
      local doubted = 0
      for i = 1, 6 do
        local err = got[i][2]
        if err then
          doubted = doubted + 1
          assert.is_true(err.in_doubt)
          assert.is_false(err.retryable)
          assert.matches("may exist", err.message)
        end
      end
      assert.equal(2, doubted)
      local posts = 0
      for _, rec in ipairs(server.requests()) do posts = posts + (rec.method == "POST" and 1 or 0) end
      assert.same({ 6, 6 }, { posts, #server.referrals() })
    end)
  end)

  it("plan:apply with on_result: every item once, as apply's results", function()
    local list = requests(6)
    for _, r in ipairs(list) do r.type = "Independent" end
    assert(client:create(list[1]))
    local changed = cjson.decode(cjson.encode(list[2]))
    assert(client:create(changed))
    list[2].details.dealValue = 12345
    list[6] = { name = "no key" } -- an error item: nothing to key it by
    local on_result, got, calls = collector()
    local counts = assert(assert(client:sync(list)):apply { concurrency = 2, on_result = on_result })
    assert.same({ created = 3, updated = 1, unchanged = 1, conflict = 0, failed = 1 }, counts)
    for i = 1, 6 do assert.equal(1, calls[i]) end
    assert.is_true(got[1][1])
    assert.equal(12345, got[2][1].details.dealValue)
    for i = 3, 5 do assert.equal("stream-" .. i, got[i][1].externalReferenceId) end
    assert.equal("validation", got[6][2].category)
    local again, err = client:sync(list):apply { on_result = function() error("enough") end }
    assert.is_nil(again)
    assert.equal("aborted", err.code)
  end)
end)
