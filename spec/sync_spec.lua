-- client:sync and plan:apply (issue 15) against the bundled fake server: the plan's counts,
-- the minimal patches on the wire, the server's state after apply, a rerun that writes
-- nothing, a 412 re-planned once, co-sell engagements made and completed.
local referrals = require "referrals"
local cjson = require "cjson"
local fixtures = require "fixtures"
local helper = require "helper"

local TOKEN = "sync-token-7f3a"
local COLLECTION = "/v1.0/engagements/referrals"

-- The documented create request as an Independent referral keyed crm-i.
local function item(i)
  local r = cjson.decode(fixtures.read("create-request.json"))
  r.type = "Independent"
  r.name = "sync " .. i
  r.externalReferenceId = "crm-" .. i
  return r
end

local function copy(v) return cjson.decode(cjson.encode(v)) end

-- Waits (up to 5 s) until the server is handling no request.
local function settle(server)
  for _ = 1, 100 do
    if server.control("GET", "stats").in_flight == 0 then return end
    helper.sleep(0.05)
  end
  error("the server kept requests in flight")
end

-- Where the server's request records stand now (a whole number: lua-cjson decodes floats).
local function mark_of(server) return ("%d"):format(server.control("GET", "stats").requests) end

-- Members the server sets (fake-server/README.md, "The stored referral").
local SERVER_MEMBERS = { "id", "engagementId", "organizationId", "organizationName", "createdDateTime",
  "updatedDateTime", "acceptedDateTime", "expirationDateTime", "closedDateTime", "direction",
  "eTag", "links" }

-- A stored referral without the server's members: what a client gave it.
local function given(stored)
  local out = copy(stored)
  for _, k in ipairs(SERVER_MEMBERS) do out[k] = nil end
  return out
end

-- The recorded writes (POST, PATCH, PUT) among records.
local function writes(records)
  local out = {}
  for _, r in ipairs(records) do
    if r.method ~= "GET" then out[#out + 1] = r end
  end
  return out
end

local function by_key(stored)
  local out = {}
  for _, r in ipairs(stored) do
    if r.externalReferenceId ~= cjson.null then
      out[r.externalReferenceId] = out[r.externalReferenceId] or {}
      table.insert(out[r.externalReferenceId], r)
    end
  end
  return out
end

describe("client:sync", function()
  local server, client

  setup(function()
    server = helper.start { "--token", TOKEN }
    client = referrals.new { token = TOKEN, base_url = server.base_url, timeout = 10 }
  end)

  teardown(function()
    client:close()
    server.stop()
  end)

  before_each(function() server.reset() end)

  -- 50 items; 20 exist: 12 as the list says, 5 changed in the list, 2 with a change no
  -- PATCH may make, 1 whose key two referrals hold.
  local function fifty()
    local list = {}
    for i = 1, 50 do list[i] = item(i) end
    local existing = {}
    for i = 1, 20 do existing[i] = list[i] end
    existing[21] = copy(list[20]) -- a second referral with key crm-20
    local created = assert(client:create_many(existing, { concurrency = 4 }))
    -- 19 was closed meanwhile: the list's New/Pending would be a move back from Closed
    assert(client:update(created[19], { status = "Closed", substatus = "Won" }))
    list[13] = copy(list[13]); list[13].details.dealValue = 12345
    list[14] = copy(list[14]); list[14].details.notes = "new notes"
    list[15] = copy(list[15]); list[15].team[1].phoneNumber = "5550100"
    list[16] = copy(list[16]); list[16].status, list[16].substatus = "Closed", "Lost"
    list[17] = copy(list[17]); list[17].salesStage = "Develop"
    list[18] = copy(list[18]); list[18].customerProfile.name = "Renamed Inc" -- not patchable
    return list, created
  end

  it("plans 30 creates, 5 updates, 12 unchanged and 3 conflicts, writing nothing", function()
    local list = fifty()
    local mark = mark_of(server)
    local plan = assert(client:sync(list))
    assert.same({ create = 30, update = 5, unchanged = 12, conflict = 3, error = 0 }, plan.counts)
    assert.equal("sync plan: 30 to create, 5 to update, 12 unchanged, 3 conflicts, 0 errors "
      .. "(look-up: scan, 1 requests)", tostring(plan))
    local seen = server.requests(mark)
    assert.same({}, writes(seen))
    assert.equal(plan.lookup.requests, #seen)
    local select = "$select=id%2CeTag%2CexternalReferenceId%2CengagementId%2Ctype%2Cstatus%2C"
      .. "substatus%2Cdirection%2Ctarget%2C"
    assert.equal(select, seen[1].query:sub(1, #select))
    for i, it_ in ipairs(plan.items) do assert.equal(i, it_.index) end
    assert.same({ { op = "replace", path = "/details/dealValue", value = 12345 } }, plan.items[13].patch)
    assert.same({ { op = "replace", path = "/details/notes", value = "new notes" } }, plan.items[14].patch)
    assert.same({ { op = "replace", path = "/team", value = list[15].team } }, plan.items[15].patch)
    assert.same({ { op = "replace", path = "/status", value = "Closed" },
      { op = "replace", path = "/substatus", value = "Lost" } }, plan.items[16].patch)
    assert.same({ { op = "add", path = "/salesStage", value = "Develop" } }, plan.items[17].patch)
    assert.equal("not_patchable", plan.items[18].code)
    assert.equal("/customerProfile/name cannot be changed by PATCH", plan.items[18].reason)
    assert.equal("transition", plan.items[19].code)
    assert.matches("^status: Closed %-> New/Pending refused", plan.items[19].reason)
    assert.equal("duplicate", plan.items[20].code)
    for i = 21, 50 do assert.equal("create", plan.items[i].action) end
    for i = 1, 12 do assert.equal("unchanged", plan.items[i].action) end
    assert.matches("^\"", plan.items[13].etag)
  end)

  it("apply makes the server hold the list member for member; a rerun writes nothing", function()
    local list, created = fifty()
    local before = by_key(server.referrals())
    local plan = assert(client:sync(list))
    local mark = mark_of(server)
    local done = {}
    local results, counts = assert(plan:apply { concurrency = 4,
      progress = function(n, total) done[#done + 1] = n .. "/" .. total end })
    assert.same({ created = 30, updated = 5, unchanged = 12, conflict = 3, failed = 0 }, counts)
    assert.equal("35/35", done[#done])
    assert.equal(50, #results)
    assert.is_true(results[1])
    assert.equal("conflict", results[20].category)
    -- on the wire: each update is its minimal patch with the eTag read while planning
    local patches = {}
    for _, r in ipairs(writes(server.requests(mark))) do
      if r.method == "PATCH" then patches[r.path] = r end
    end
    local p13 = patches[COLLECTION .. "/" .. created[13].id]
    assert.equal('[{"op":"replace","path":"/details/dealValue","value":12345}]', p13.body)
    assert.equal(plan.items[13].etag, p13.headers["if-match"])
    -- the server's state: every item's members, as given, under its key
    local after = by_key(server.referrals())
    for i = 1, 50 do
      local held = after["crm-" .. i]
      if i == 18 or i == 19 or i == 20 then
        assert.same(before["crm-" .. i], held) -- conflicts: untouched
      else
        assert.equal(1, #held)
        local want = copy(list[i])
        if want.status == "New" then want.status, want.substatus = "Active", "Accepted" end
        assert.same(want, given(held[1]))
      end
    end
    -- the same plan is not written twice
    local _, twice = plan:apply()
    assert.equal("applied", twice.code)
    -- the rerun: everything is as the list says; nothing is written
    mark = mark_of(server)
    local again = assert(client:sync(list))
    assert.same({ create = 0, update = 0, unchanged = 47, conflict = 3, error = 0 }, again.counts)
    local _, counts2 = assert(again:apply())
    assert.same({ created = 0, updated = 0, unchanged = 47, conflict = 3, failed = 0 }, counts2)
    assert.same({}, writes(server.requests(mark)))
  end)

  it("appends what a list adds at the end of an array, replaces it otherwise", function()
    local list = { item(1), item(2) }
    assert(client:create_many(list))
    local member = { firstName = "Ann", lastName = "Lee", email = "ann.lee@contoso.com" }
    list[1] = copy(list[1]); table.insert(list[1].team, member)
    list[2] = copy(list[2]); table.insert(list[2].team, 1, member)
    local plan = assert(client:sync(list))
    assert.same({ { op = "add", path = "/team/-", value = member } }, plan.items[1].patch)
    assert.same({ { op = "replace", path = "/team", value = list[2].team } }, plan.items[2].patch)
    assert(plan:apply())
    local again = assert(client:sync(list))
    assert.same({ create = 0, update = 0, unchanged = 2, conflict = 0, error = 0 }, again.counts)
  end)

  it("a 412 on an update re-reads that referral and re-plans it once", function()
    local list = { item(1), item(2) }
    local created = assert(client:create_many(list))
    list[1] = copy(list[1]); list[1].details.dealValue = 777
    local plan = assert(client:sync(list))
    assert.equal("update", plan.items[1].action)
    -- someone else changes the referral between plan and apply: its eTag moves on
    assert(client:update(created[1], { ["details.notes"] = "changed elsewhere" }))
    local mark = mark_of(server)
    local results, counts = assert(plan:apply())
    assert.same({ created = 0, updated = 1, unchanged = 1, conflict = 0, failed = 0 }, counts)
    local seen = server.requests(mark)
    local trace = {}
    for i, r in ipairs(seen) do trace[i] = r.method end
    assert.same({ "PATCH", "GET", "PATCH" }, trace)
    assert.equal(plan.items[1].etag, seen[3].headers["if-match"])
    assert.is_true(plan.items[1].replanned)
    -- the re-plan patches what differs now: the list's notes come back too
    assert.same({ { op = "replace", path = "/details/notes", value = list[1].details.notes },
      { op = "replace", path = "/details/dealValue", value = 777 } }, cjson.decode(seen[3].body))
    local stored = by_key(server.referrals())["crm-1"][1]
    assert.equal(777, stored.details.dealValue)
    assert.equal(list[1].details.notes, stored.details.notes)
    assert.is_true(results[2])
  end)

  it("apply sends its updates at once, each with the eTag its plan read", function()
    local list = {}
    for i = 1, 6 do list[i] = item(i) end
    assert(client:create_many(list, { concurrency = 1 })) -- max_in_flight stays apply's own
    for i = 1, 6 do list[i] = copy(list[i]); list[i].details.dealValue = 100 + i end
    local plan = assert(client:sync(list))
    assert.equal(6, plan.counts.update)
    server.faults { { delay_ms = 200, count = 6, match = { method = "PATCH" } } }
    local mark = mark_of(server)
    local order = {}
    local counts = assert(plan:apply { concurrency = 3, on_result = function(i, r)
      order[#order + 1] = i
      assert.equal(100 + i, r.details.dealValue)
    end })
    assert.same({ created = 0, updated = 6, unchanged = 0, conflict = 0, failed = 0 }, counts)
    assert.equal(3, server.control("GET", "stats").max_in_flight)
    local sent = {}
    for _, r in ipairs(server.requests(mark)) do
      assert.equal("PATCH", r.method)
      sent[r.path] = r.headers["if-match"]
    end
    for _, planned in ipairs(plan.items) do
      assert.equal(planned.etag, sent[COLLECTION .. "/" .. planned.id])
    end
    table.sort(order)
    assert.same({ 1, 2, 3, 4, 5, 6 }, order)
  end)

  it("a second 412 after the re-plan is the item's error; the update is not sent a third time", function()
    local list = { item(1) }
    assert(client:create_many(list))
    list[1] = copy(list[1]); list[1].details.dealValue = 5
    local plan = assert(client:sync(list))
    server.faults { status = 412, count = 2, match = { method = "PATCH" } }
    local mark = mark_of(server)
    local results, counts = assert(plan:apply())
    assert.equal(1, counts.failed)
    assert.equal(412, results[1].status)
    local trace = {}
    for i, r in ipairs(server.requests(mark)) do trace[i] = r.method end
    assert.same({ "PATCH", "GET", "PATCH" }, trace)
  end)

  it("makes both halves of a shared engagement, and completes a half-made one on the rerun", function()
    local shared = item(1)
    shared.type = "Shared"
    local half = item(2)
    half.type = "Shared"
    -- a job that stopped after step 1 of spec §3.2: our half exists, the connected one not
    local mine = assert(client:create(half))
    local plan = assert(client:sync({ shared, half }))
    assert.equal("create", plan.items[1].action)
    assert.equal("create", plan.items[2].action)
    assert.is_true(plan.items[2].connect)
    assert.equal(mine.id, plan.items[2].id)
    local mark = mark_of(server)
    local results, counts = assert(plan:apply())
    assert.same({ created = 2, updated = 0, unchanged = 0, conflict = 0, failed = 0 }, counts)
    local posts = {}
    for _, r in ipairs(writes(server.requests(mark))) do posts[#posts + 1] = cjson.decode(r.body) end
    assert.equal(3, #posts) -- shared: mine and its half; half-made: the missing half only
    assert.equal(mine.engagementId, posts[3].engagementId)
    assert.same({ { type = "BusinessProfileLocation", id = "msft" } }, posts[3].target)
    assert.equal(mine.engagementId, results[2].engagementId)
    local held = by_key(server.referrals())
    assert.equal(2, #held["crm-1"])
    assert.equal(2, #held["crm-2"])
    assert.equal(held["crm-1"][1].engagementId, held["crm-1"][2].engagementId)
    mark = mark_of(server)
    local again = assert(client:sync({ shared, half }))
    assert.same({ create = 0, update = 0, unchanged = 2, conflict = 0, error = 0 }, again.counts)
    assert(again:apply())
    assert.same({}, writes(server.requests(mark)))
  end)

  it("gives an item without a key, or one that cannot be created, an error of its own", function()
    local bad = item(2)
    bad.type = "Bogus"
    local keyless = item(3)
    keyless.externalReferenceId = nil
    local plan = assert(client:sync({ item(1), bad, keyless, item(1) }))
    assert.same({ create = 0, update = 0, unchanged = 0, conflict = 2, error = 2 }, plan.counts)
    assert.equal("validation", plan.items[2].error.category)
    assert.equal("externalReferenceId", plan.items[3].error.field)
    assert.equal("items 1 and 4 of the list share externalReferenceId \"crm-1\"", plan.items[1].reason)
    local mark = mark_of(server)
    local results = assert(plan:apply())
    assert.same({}, writes(server.requests(mark)))
    assert.equal("validation", results[2].category)
  end)

  it("raises for arguments of the wrong type", function()
    assert.matches("bad argument #1 to 'sync'", helper.raised(client.sync, client, "x"))
    assert.matches("opts.lookup", helper.raised(client.sync, client, {}, { lookup = "all" }))
    assert.matches("bad argument #1 to 'sync_each'", helper.raised(client.sync_each, client, "x"))
    assert.matches("opts.chunk", helper.raised(client.sync_each, client, {}, { chunk = 0 }))
    assert.matches("opts.on_result", helper.raised(client.sync_each, client, {}, { on_result = 1 }))
  end)

  -- An iterator over list, counting the items it gave.
  local function iterate(list)
    local i = 0
    return function()
      i = i + 1
      return list[i]
    end, function() return math.min(i, #list) end
  end

  -- What the server holds, as given, by key.
  local function state()
    local out = {}
    for key, held in pairs(by_key(server.referrals())) do
      out[key] = {}
      for j, r in ipairs(held) do out[key][j] = given(r) end
    end
    return out
  end

  it("sync_each: an iterator in chunks of 7 ends as the list in one plan does", function()
    local list = fifty()
    assert(assert(client:sync(list)):apply { concurrency = 4 })
    local whole = state()
    server.reset()
    list = fifty()
    local outcomes, mark = {}, mark_of(server)
    local counts = assert(client:sync_each(iterate(list), { chunk = 7, concurrency = 4,
      on_result = function(i, r, err)
        assert.is_nil(outcomes[i], "one outcome per item")
        outcomes[i] = err and err.category or (r == true and "unchanged" or "written")
      end }))
    assert.same({ items = 50, created = 30, updated = 5, unchanged = 12, conflict = 3, failed = 0 },
      counts)
    for i = 1, 50 do assert.is_string(outcomes[i], "item " .. i) end
    assert.equal("conflict", outcomes[20])
    assert.same(whole, state())
    assert.equal(35, #writes(server.requests(mark)))
    -- the rerun writes nothing
    mark = mark_of(server)
    local again = assert(client:sync_each(list, { chunk = 7 }))
    assert.same({ items = 50, created = 0, updated = 0, unchanged = 47, conflict = 3, failed = 0 },
      again)
    assert.same({}, writes(server.requests(mark)))
  end)

  it("sync_each: a key again in a later chunk updates what the earlier chunk created", function()
    local a, b = item(1), item(1)
    b.details.notes = "the later one"
    local counts = assert(client:sync_each({ a, item(2), b }, { chunk = 2 }))
    assert.same({ items = 3, created = 2, updated = 1, unchanged = 0, conflict = 0, failed = 0 },
      counts)
    local held = by_key(server.referrals())["crm-1"]
    assert.equal(1, #held)
    assert.equal("the later one", held[1].details.notes)
  end)

  it("sync_each: an item's error names its place in the job, not in its chunk", function()
    local job = {}
    for i = 1, 9 do job[i] = item(i) end
    job[8].externalReferenceId = nil
    job[9] = copy(job[7])
    local got = {}
    local counts = assert(client:sync_each(job, { chunk = 5, on_result = function(i, r, err)
      got[i] = err and err.message or (r and "ok")
    end }))
    assert.same({ items = 9, created = 6, updated = 0, unchanged = 0, conflict = 2, failed = 1 },
      counts)
    assert.equal("item 8: externalReferenceId: the key of sync is required", got[8])
    assert.equal('items 7 and 9 of the list share externalReferenceId "crm-7"', got[9])
    assert.equal(got[9], got[7])
  end)

  it("sync_each: stopped by on_result or the iterator, the same job run again finishes it", function()
    local list = {}
    for i = 1, 12 do list[i] = item(i) end
    local seen = 0
    local ok, err = client:sync_each(list, { chunk = 5, on_result = function()
      seen = seen + 1
      if seen == 7 then error("enough") end
    end })
    assert.is_nil(ok)
    assert.same({ "aborted", 5 }, { err.code, err.items_before })
    assert.truthy(err.message:find("on_result raised an error: ", 1, true))
    -- The creates in flight when it stopped may still be made (err.in_doubt): as a caller
    -- would look them up, the rerun waits until the server has answered everything it got.
    settle(server)
    local next_item, given_so_far = iterate(list)
    ok, err = client:sync_each(function()
      if given_so_far() == 11 then error("the source broke") end
      return next_item()
    end, { chunk = 5 })
    assert.is_nil(ok)
    assert.same({ "aborted", 10 }, { err.code, err.items_before })
    assert.truthy(err.message:find("the iterator raised an error: ", 1, true))
    local counts = assert(client:sync_each(list, { chunk = 5 }))
    assert.equal(12, counts.created + counts.unchanged)
    local held = by_key(server.referrals())
    for i = 1, 12 do assert.equal(1, #held["crm-" .. i], "crm-" .. i .. " once") end
  end)
end)

describe("client:sync's look-up", function()
  local server, client

  setup(function()
    server = helper.start { "--token", TOKEN, "--page-size", "5" }
    client = referrals.new { token = TOKEN, base_url = server.base_url, timeout = 10 }
    local list = {}
    for i = 1, 40 do list[i] = item(i) end
    assert(client:create_many(list, { concurrency = 4 }))
  end)

  teardown(function()
    client:close()
    server.stop()
  end)

  local function gets(list, opts)
    local mark = mark_of(server)
    local plan = assert(client:sync(list, opts))
    local seen = server.requests(mark)
    assert.equal(#seen, plan.lookup.requests)
    return plan, seen
  end

  it("filters by key for a short list: one page, then one request per key", function()
    local plan, seen = gets({ item(3), item(39), item(77) })
    assert.equal("filter", plan.lookup.method)
    assert.equal(4, plan.lookup.requests)
    -- crm-3's look-up goes alone, then crm-39's and crm-77's at once, in either order
    assert.matches("%$filter=externalReferenceId%%20eq%%20%%27crm%-3%%27", seen[2].query)
    local later = { seen[3].query:match("crm%-%d+"), seen[4].query:match("crm%-%d+") }
    table.sort(later)
    assert.same({ "crm-39", "crm-77" }, later)
    assert.same({ create = 1, update = 0, unchanged = 2, conflict = 0, error = 0 }, plan.counts)
  end)

  it("pages through the list for a long one: O(pages), not O(items)", function()
    local list = {}
    for i = 1, 30 do list[i] = item(i) end
    local plan, seen = gets(list)
    assert.equal("scan", plan.lookup.method)
    assert.equal(8, plan.lookup.requests) -- 40 referrals, 5 a page
    assert.matches("%$select=", seen[8].query) -- the next links keep $select
    assert.same({ create = 0, update = 0, unchanged = 30, conflict = 0, error = 0 }, plan.counts)
  end)

  it("the bundled server's $select returns only the members asked for, on every page", function()
    local page = assert(client:list { select = { "id", "name" } })
    repeat
      for _, r in ipairs(page.value) do
        local keys = {}
        for k in pairs(r) do keys[#keys + 1] = k end
        table.sort(keys)
        assert.same({ "id", "name" }, keys)
      end
      page = page.next and assert(client:list(page.next))
    until not page
    local _, err = client:list { select = "id,,name" }
    assert.equal(400, err.status)
    assert.equal("$select", err.target)
  end)

  it("pages through the list when the service refuses the filter by key", function()
    -- the first GET (a page) as usual, the second (the first filtered look-up) refused
    server.faults { { delay_ms = 0, match = { method = "GET" } },
      { status = 400, match = { method = "GET" } } }
    local plan, seen = gets({ item(3), item(39), item(77) })
    assert.equal("scan", plan.lookup.method)
    assert.equal(2 + 7, plan.lookup.requests) -- the page, the refused filter, 7 more pages
    assert.matches("%$filter=", seen[2].query)
    assert.same({ create = 1, update = 0, unchanged = 2, conflict = 0, error = 0 }, plan.counts)
  end)

  it("plans the same either way", function()
    local list = { item(1), item(2) }
    list[2].details.notes = "x"
    local a = gets(list, { lookup = "scan" })
    local b = gets(list, { lookup = "filter" })
    assert.same(a.counts, b.counts)
    assert.same(a.items[2].patch, b.items[2].patch)
    assert.equal(8, a.lookup.requests)
    assert.equal(2, b.lookup.requests)
  end)
end)

describe("client:sync's look-ups by filter", function()
  -- The bundled server answers them from an index of the key (fake-server/field_index.c),
  -- which updates move.
  local server, client

  setup(function()
    server = helper.start { "--token", TOKEN }
    client = referrals.new { token = TOKEN, base_url = server.base_url, timeout = 10 }
  end)

  teardown(function()
    client:close()
    server.stop()
  end)

  it("sends one look-up, then the others at once", function()
    for i = 1, 3 do assert(client:create(item(i))) end
    server.faults { { delay_ms = 200, count = 6, match = { method = "GET" } } }
    local mark = mark_of(server)
    local list = {}
    for i = 1, 6 do list[i] = item(i) end
    local plan = assert(client:sync(list, { lookup = "filter", concurrency = 5 }))
    assert.same({ method = "filter", requests = 6 }, plan.lookup)
    assert.same({ create = 3, update = 0, unchanged = 3, conflict = 0, error = 0 }, plan.counts)
    assert.equal(5, server.control("GET", "stats").max_in_flight)
    local seen = server.requests(mark)
    assert.equal(6, #seen)
    assert.matches("^%$filter=externalReferenceId%%20eq%%20%%27crm%-1%%27&%$select=", seen[1].query)
  end)

  it("gives the first look-up that failed as the plan's error", function()
    server.faults { { delay_ms = 0, match = { method = "GET" } },
      { delay_ms = 0, match = { method = "GET" } }, { status = 400, match = { method = "GET" } } }
    local list = {}
    for i = 1, 4 do list[i] = item(i) end
    local plan, err = client:sync(list, { lookup = "filter", concurrency = 1 })
    assert.is_nil(plan)
    assert.equal(400, err.status)
  end)

  it("raises for a concurrency bulk runs do not take", function()
    assert.matches("opts.concurrency: an integer from 1 to 256",
      helper.raised(client.sync, client, {}, { concurrency = 0 }))
    assert.matches("opts.concurrency: an integer from 1 to 256",
      helper.raised(client.sync_each, client, {}, { concurrency = 2.5 }))
  end)

  it("finds a key an update moved, in creation order", function()
    local stored_status
    local function created(key)
      local r = item(0)
      r.externalReferenceId = key
      r = assert(client:create(r))
      stored_status = r.status
      return r.id
    end
    local a, b, c = created("moved-1"), created("moved-2"), created("moved-1")
    assert(client:update(b, { externalReferenceId = "moved-1" }))
    local function holders(key, status)
      local page = assert(client:list { filter = { externalReferenceId = key, status = status } })
      local ids = {}
      for i, r in ipairs(page.value) do ids[i] = r.id end
      return ids
    end
    assert.same({ a, b, c }, holders("moved-1"))
    assert.same({}, holders("moved-2"))
    assert.same({ a, b, c }, holders("moved-1", stored_status))
    assert.same({}, holders("moved-1", stored_status == "Closed" and "New" or "Closed"))
    assert(client:update(a, { externalReferenceId = "moved-2" }))
    assert.same({ b, c }, holders("moved-1"))
    assert.same({ a }, holders("moved-2"))
  end)
end)

describe("referrals sync FILE", function()
  local server, dir, remove_dir

  setup(function()
    server = helper.start { "--token", TOKEN }
    dir, remove_dir = helper.tempdir()
  end)

  teardown(function()
    server.stop()
    remove_dir()
  end)

  -- Runs bin/referrals under this spec's interpreter and module paths; returns the exit code
  -- and stdout. After "--tty" it runs under script(1), so its stdout is a terminal.
  local function run(...)
    local argv = { ... }
    local tty = argv[1] == "--tty"
    if tty then table.remove(argv, 1) end
    local cmd = { "env", "REFERRALS_TOKEN=" .. TOKEN, "REFERRALS_BASE_URL=" .. server.base_url,
      helper.quote("LUA_PATH=" .. package.path), helper.quote("LUA_CPATH=" .. package.cpath),
      helper.quote(helper.interpreter()), "bin/referrals" }
    for _, a in ipairs(argv) do cmd[#cmd + 1] = helper.quote(a) end
    local line = table.concat(cmd, " ")
    if tty then line = "script -qefc " .. helper.quote(line) .. " /dev/null" end
    local status, _, code = os.execute(line .. " </dev/null >" .. dir .. "/out 2>" .. dir .. "/err")
    if type(status) == "number" then code = math.floor(status / 256) end
    local f = assert(io.open(dir .. "/out", "rb"))
    local out = f:read("*a")
    f:close()
    return code, out
  end

  it("prints the plan as JSON, applies it, and exits 5 while conflicts remain", function()
    local lines = {}
    for i = 1, 3 do lines[i] = cjson.encode(item(i)) end
    local f = assert(io.open(dir .. "/list.jsonl", "wb"))
    f:write(table.concat(lines, "\n"), "\n")
    f:close()
    local code, out = run("sync", dir .. "/list.jsonl")
    assert.equal(0, code)
    local plan = cjson.decode(out)
    assert.same({ create = 3, update = 0, unchanged = 0, conflict = 0, error = 0 }, plan.counts)
    assert.same({}, writes(server.requests()))
    code, out = run("sync", dir .. "/list.jsonl", "--apply", "--concurrency", "2")
    assert.equal(0, code)
    assert.same({ created = 3, updated = 0, unchanged = 0, conflict = 0, failed = 0 },
      cjson.decode(out).applied)
    local other = item(1)
    other.name = "renamed"
    f = assert(io.open(dir .. "/list.json", "wb"))
    f:write(cjson.encode { other, item(2) })
    f:close()
    code, out = run("sync", dir .. "/list.json")
    assert.equal(5, code)
    local items = cjson.decode(out).items
    assert.equal("conflict", items[1].action)
    assert.equal("/name cannot be changed by PATCH", items[1].reason)
    assert.equal("unchanged", items[2].action)
    -- on a terminal: the summary, then one line per item that is not unchanged
    local changed = item(2)
    changed.details.notes = "new"
    f = assert(io.open(dir .. "/list.json", "wb"))
    f:write(cjson.encode { other, changed, item(9) })
    f:close()
    code, out = run("--tty", "sync", dir .. "/list.json")
    assert.equal(5, code)
    local shown = {}
    for l in out:gmatch("[^\r\n]+") do shown[#shown + 1] = l:gsub("%s+", " ") end
    assert.equal(5, #shown) -- and the error line on stderr, which is the same terminal
    assert.equal("referrals: conflict error (conflicts): not synced (conflicts or item errors): 1 of 3 items",
      shown[5])
    assert.equal("sync plan: 1 to create, 1 to update, 0 unchanged, 1 conflicts, 0 errors "
      .. "(look-up: scan, 1 requests)", shown[1])
    assert.equal("conflict 1 crm-1 /name cannot be changed by PATCH", shown[2])
    assert.matches("^update 2 crm%-2 [-0-9a-f]+ /details/notes$", shown[3])
    assert.equal("create 3 crm-9 ", shown[4])
  end)
end)
