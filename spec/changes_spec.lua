-- client:changes (the reconciling poll of issue 14) and client:event_referral against the
-- bundled server: pages of two, referrals seeded with chosen updatedDateTime values (equal
-- ones at a page edge, more equal ones than a page holds), updates made by the API itself
-- (the server's clock), and one made while a call is paging. The queries on the wire are
-- compared whole.
local referrals = require "referrals"
local cjson = require "cjson"
local helper = require "helper"

local TOKEN = "changes-token-51c2"
local COLLECTION = "/v1.0/engagements/referrals"

local function id(n) return ("00000000-0000-4000-8000-%012d"):format(n) end

local function ids_of(list)
  local out = {}
  for i, r in ipairs(list) do out[i] = r.id end
  return out
end

describe("client:changes", function()
  local server, client

  setup(function()
    server = helper.start { "--token", TOKEN, "--page-size", "2" }
    client = referrals.new { token = TOKEN, base_url = server.base_url, retries = 0, timeout = 10 }
  end)
  teardown(function()
    client:close()
    server.stop()
  end)
  before_each(function() server.reset() end)

  local function seed(n, updated)
    server.control("POST", "referrals", cjson.encode { id = id(n), name = "r" .. n,
      status = "New", updatedDateTime = updated })
  end

  -- the list queries recorded from index since on
  local function queries(since)
    local out = {}
    for _, r in ipairs(server.requests(since)) do
      assert.equal(COLLECTION, r.path)
      out[#out + 1] = r.query
    end
    return out
  end

  local T1, T2, T3 = "2020-01-01T00:00:01Z", "2020-01-01T00:00:02.5Z", "2020-01-01T00:00:03.1234567Z"

  it("returns every page oldest first, equal instants at a page edge once, and the watermark",
    function()
      seed(5, T3)
      seed(1, T1)
      seed(2, T2)
      seed(3, T2) -- page 1 ends with 1, 2: 3 and 4 share 2's instant on the next page
      seed(4, T2)
      local list, mark = client:changes("2020-01-01T00:00:00Z")
      assert.same({ id(1), id(2), id(3), id(4), id(5) }, ids_of(list))
      assert.equal(T3 .. ";" .. id(5), mark)
      -- keyset paging: after a page that moved the watermark on, again from the watermark;
      -- after one that ended at the instant it began with, its next link
      assert.same({
        "$filter=updatedDateTime%20gt%202020-01-01T00%3A00%3A00Z&$orderby=updatedDateTime%20asc",
        "$filter=updatedDateTime%20ge%202020-01-01T00%3A00%3A02.5Z&$orderby=updatedDateTime%20asc",
        "$filter=updatedDateTime%20ge%202020-01-01T00%3A00%3A02.5Z&$orderby=updatedDateTime%20asc"
          .. "&$skiptoken=2",
      }, queries())

      -- nothing new: nothing returned, the same watermark
      local again, mark2 = client:changes(mark)
      assert.same({}, again)
      assert.equal(mark, mark2)

      -- a late referral at the watermark's own instant, a later one, and an update made by
      -- the API: each once, oldest first; 5 is not repeated
      seed(6, T3)
      seed(7, "2020-01-01T00:00:04Z")
      local two = assert(client:get(id(2)))
      assert(client:update(two, { campaignId = "renamed" }))
      local news, mark3 = client:changes(mark)
      assert.same({ id(6), id(7), id(2) }, ids_of(news))
      assert.equal("renamed", news[3].campaignId)
      -- the server's 7 digits, written without trailing zeros
      local stamp = news[3].updatedDateTime:gsub("0+Z$", "Z"):gsub("%.Z$", "Z")
      assert.equal(stamp .. ";" .. id(2), mark3)
      local none = client:changes(mark3)
      assert.same({}, none)
    end)

  it("stops at limit between equal instants and goes on from there, losing and repeating none",
    function()
      for n = 1, 4 do seed(n, T2) end
      seed(5, T3)
      local first, mark = client:changes(T1, { limit = 3 })
      assert.same({ id(1), id(2), id(3) }, ids_of(first))
      assert.equal(T2 .. ";" .. id(1) .. ";" .. id(2) .. ";" .. id(3), mark)
      local rest, mark2 = client:changes(mark)
      assert.same({ id(4), id(5) }, ids_of(rest))
      assert.equal(T3 .. ";" .. id(5), mark2)
    end)

  it("keeps ids of any bytes in the watermark", function()
    server.control("POST", "referrals", cjson.encode { id = "a;b", updatedDateTime = T2 })
    server.control("POST", "referrals", cjson.encode { id = "c%d", updatedDateTime = T2 })
    local first, mark = client:changes(T1, { limit = 1 })
    assert.same({ "a;b" }, ids_of(first))
    assert.equal(T2 .. ";a%3Bb", mark)
    local rest, mark2 = client:changes(mark)
    assert.same({ "c%d" }, ids_of(rest))
    assert.equal(T2 .. ";a%3Bb;c%25d", mark2)
  end)

  it("refuses a listing that did not honour the filter or the order", function()
    server.faults { status = 200, content_type = "application/json",
      body = cjson.encode { value = { { id = id(1), updatedDateTime = "2019-01-01T00:00:00Z" } } } }
    local list, err = client:changes(T1)
    assert.is_nil(list)
    assert.same({ "json", "changes", id(1) }, { err.category, err.code, err.value })
    server.faults { status = 200, content_type = "application/json",
      body = cjson.encode { value = { { id = id(1) } } } }
    list, err = client:changes(T1)
    assert.is_nil(list)
    assert.same({ "json", "changes" }, { err.category, err.code })
  end)

  it("follows the next link over pages of referrals already returned at one instant", function()
    for n = 1, 7 do seed(n, T2) end
    local list, mark = client:changes(T1)
    assert.same({ id(1), id(2), id(3), id(4), id(5), id(6), id(7) }, ids_of(list))
    assert.equal(T2 .. ";" .. table.concat({ id(1), id(2), id(3), id(4), id(5), id(6), id(7) }, ";"),
      mark)
  end)

  it("loses none when a referral already read is updated while the next page is asked for",
    function()
      for n = 1, 5 do seed(n, "2020-01-01T00:00:0" .. n .. "Z") end
      local curl = ("env -u LD_PRELOAD curl -sS -f -o /dev/null -X PATCH -H %s -H %s "
        .. "--data-binary %s %s"):format(helper.quote("Authorization: Bearer " .. TOKEN),
        helper.quote("Content-Type: application/json"),
        helper.quote('[{"op":"replace","path":"/campaignId","value":"moved"}]'),
        helper.quote(server.base_url .. COLLECTION .. "/" .. id(1)))
      local pages = 0
      local watcher = referrals.new { token = TOKEN, base_url = server.base_url, retries = 0,
        log = function(e)
          if e.type == "response" then
            pages = pages + 1
            -- after page 1 (1, 2): 1 moves to the end, so an offset of 2 would skip 3
            if pages == 1 then assert(helper.sh(curl), "the PATCH failed") end
          end
        end }
      local list = assert(watcher:changes("2020-01-01T00:00:00Z"))
      watcher:close()
      -- 1 twice: read before its change, and again with it
      assert.same({ id(1), id(2), id(3), id(4), id(5), id(1) }, ids_of(list))
      assert.equal("moved", list[6].campaignId)
    end)

  it("takes epoch seconds and offsets, and writes the instant in UTC", function()
    assert.same({}, (client:changes(1577836800.5)))
    assert.same({}, (client:changes("2020-01-01T02:00:00.25+02:00")))
    assert.same({}, (client:changes("2020-01-01T00:00:00.123456789Z")))
    assert.same({
      "$filter=updatedDateTime%20gt%202020-01-01T00%3A00%3A00.5Z&$orderby=updatedDateTime%20asc",
      "$filter=updatedDateTime%20gt%202020-01-01T00%3A00%3A00.25Z&$orderby=updatedDateTime%20asc",
      "$filter=updatedDateTime%20gt%202020-01-01T00%3A00%3A00.1234567Z&$orderby=updatedDateTime%20asc",
    }, queries())
    local _, mark = client:changes(1577836800)
    assert.equal("2020-01-01T00:00:00Z", mark)
  end)

  it("refuses a since that names no instant with nil, err, and a wrong type by raising", function()
    for _, bad in ipairs { "yesterday", "2026-02-30T00:00:00Z", "2026-12-02T24:00:00Z",
      "2026-12-02T10:00:00", "2026-12-02T10:00:00Z;../x", "2026-12-02T10:00:00Z;",
      "2026-12-02T10:00:00Z;%zz", "2026-12-02T10:00:00Z;a%2", 0 / 0, 1e300 } do
      local list, err = client:changes(bad)
      assert.is_nil(list)
      assert.equal("validation", err.category)
      assert.equal("since", err.code)
    end
    assert.same({}, server.requests(), "nothing sent")
    assert.truthy(helper.raised(client.changes, client, true):find("bad argument #1 to 'changes'",
      1, true))
    assert.truthy(helper.raised(client.changes, client, T1, { limit = 0 }):find("limit", 1, true))
    assert.truthy(helper.raised(client.changes, {}, T1):find("bad self", 1, true))
  end)
end)

describe("client:event_referral", function()
  local KEYS = "tests/fixtures/webhook/"
  local server, client, verifier

  setup(function()
    server = helper.start { "--token", TOKEN, "--cert", KEYS .. "server.pem", "--key",
      KEYS .. "server.key", "--webhook-cert", KEYS .. "leaf.pem" }
    client = referrals.new { token = TOKEN, base_url = server.base_url, retries = 0,
      ca_file = KEYS .. "trusted.pem" }
    verifier = referrals.webhook.verifier { certificate_hosts = { "127.0.0.1:" .. server.port },
      ca_file = KEYS .. "trusted.pem" }
  end)
  teardown(function()
    client:close()
    server.stop()
  end)

  -- A request as Partner Center signs it (the openssl command, the test leaf's key).
  local function signed(body)
    local dir, remove = helper.tempdir()
    local f = assert(io.open(dir .. "/body", "wb"))
    f:write(body)
    f:close()
    local pipe = assert(io.popen("openssl dgst -sha256 -sign " .. KEYS .. "leaf.key " .. dir
      .. "/body | base64 -w0"))
    local signature = pipe:read("*a")
    pipe:close()
    remove()
    return { body = body, headers = { Authorization = "Signature " .. signature,
      ["X-MS-Certificate-Url"] = server.base_url .. "/cert/pcnotifications-dispatch.test.cer",
      ["X-MS-Signature-Algorithm"] = "rsa-sha256" } }
  end

  it("reads the referral an event names from the client's base URL, never ResourceUri's host",
    function()
      server.control("POST", "referrals", cjson.encode { id = id(9), name = "from the event" })
      local event = assert(verifier:verify(signed(cjson.encode {
        EventName = "referral-updated", ResourceName = "referral",
        ResourceUri = "https://127.0.0.2:9/engagements/v1/referrals/" .. id(9),
        ResourceChangeUtcDate = "2026-12-02T10:00:00.1+00:00" })))
      local since = #server.requests()
      local ref, err = client:event_referral(event)
      assert.is_nil(err)
      assert.equal("from the event", ref.name)
      local wire = server.requests(since)
      assert.equal(1, #wire)
      assert.equal("GET", wire[1].method)
      assert.equal(COLLECTION .. "/" .. id(9), wire[1].path)
    end)

  it("refuses an event that names no referral, and a referral the API does not have", function()
    local event = assert(verifier:verify(signed(cjson.encode { EventName = "test-created",
      ResourceUri = "https://api.partnercenter.microsoft.com/webhooks/v1/registration" })))
    assert.is_nil(event.referralId)
    local since = #server.requests()
    local ref, err = client:event_referral(event)
    assert.is_nil(ref)
    assert.equal("validation", err.category)
    assert.equal("event", err.code)
    assert.equal("test-created", err.value)
    assert.same({}, server.requests(since), "nothing sent")
    local missing, gone = client:event_referral { referralId = id(404) }
    assert.is_nil(missing)
    assert.equal(404, gone.status)
    assert.truthy(helper.raised(client.event_referral, client, "an id"):find("bad argument #1", 1,
      true))
    assert.truthy(helper.raised(client.event_referral, client, { referralId = 7 })
      :find("referralId", 1, true))
  end)
end)
