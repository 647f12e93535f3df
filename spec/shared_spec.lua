-- The two-step shared referral of spec §3.2 (client:create_shared, client:connect,
-- client:related) against the bundled fake Partner API, including the resume after a failed
-- second step: the server must end up with exactly two referrals of one engagement.
local referrals = require "referrals"
local cjson = require "cjson"
local fixtures = require "fixtures"
local helper = require "helper"

local TOKEN = "shared-spec-token-55"
local COLLECTION = "/v1.0/engagements/referrals"
local INVITE = { notes = "Please help with the licensing", assistanceRequestCode = "QuotesOrLicensing" }

-- The documented create request (spec §1.4) as an Independent referral: create_shared must
-- make it Shared.
local function request()
  local ref = cjson.decode(fixtures.read("create-request.json"))
  ref.type = "Independent"
  return ref
end

local function copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

-- The body step 2 must send for source: its writable members (spec §2: the RO ones left
-- out), type Shared, the engagement, the target and the invitation.
local READ_ONLY = { "@odata.context", "id", "organizationId", "organizationName", "createdDateTime",
  "updatedDateTime", "expirationDateTime", "acceptedDateTime", "closedDateTime", "direction",
  "eTag", "links" }
local function connected_body(source, engagement_id, partner)
  local body = copy(source)
  for _, key in ipairs(READ_ONLY) do body[key] = nil end
  body.type = "Shared"
  body.engagementId = engagement_id
  body.target = { { type = "BusinessProfileLocation", id = partner or "msft" } }
  body.inviteContext = copy(INVITE)
  return body
end

describe("the shared referral", function()
  local server, client
  local before_request -- run by the token function, i.e. before each request is sent

  setup(function()
    server = helper.start { "--token", TOKEN, "--page-size", "1" }
    client = referrals.new { base_url = server.base_url, token = function()
      if before_request then before_request() end
      return TOKEN
    end }
  end)

  teardown(function()
    client:close()
    server.stop()
  end)

  before_each(function()
    before_request = nil
    server.reset()
  end)

  local function wire(since) return server.wire(since, TOKEN) end

  local post_headers = function()
    return helper.headers(server, { ["content-length"] = "<body length>" })
  end

  -- Fails the next POST with a 500 once n requests have started.
  local function fail_post_after(n)
    local started = 0
    before_request = function()
      started = started + 1
      if started == n + 1 then
        server.faults { status = 500, match = { method = "POST" },
          body = [[{"error":{"code":"generalException","message":"try again"}}]] }
      end
    end
  end

  it("create_shared POSTs mine as Shared, then the connected half for Microsoft", function()
    local ref = request()
    local mine, connected = client:create_shared(ref, { invite = INVITE })
    assert.is_table(mine)
    local stored = server.referrals()
    assert.same({ stored[1], stored[2] }, { mine, connected })
    assert.equal(mine.engagementId, connected.engagementId)
    assert.same(request(), ref) -- the caller's table is left as it was
    local shared = request()
    shared.type = "Shared"
    local expected_connected = connected_body(shared, mine.engagementId)
    assert.same({
      { method = "POST", path = COLLECTION, query = "", headers = post_headers(), body = shared },
      { method = "POST", path = COLLECTION, query = "", headers = post_headers(),
        body = expected_connected },
    }, wire())
  end)

  it("targets opts.partner instead of Microsoft", function()
    local mine, connected = client:create_shared(request(), { partner = "loc-123", invite = INVITE })
    assert.is_table(mine)
    assert.same({ { type = "BusinessProfileLocation", id = "loc-123" } }, connected.target)
  end)

  it("related lists every referral of the engagement, across pages", function()
    local mine, connected = client:create_shared(request(), { invite = INVITE })
    local n = #server.requests()
    local all, err = client:related(mine)
    assert.is_nil(err)
    assert.same({ mine, connected }, all)
    local requests = wire(n)
    assert.equal(2, #requests) -- page size 1
    assert.equal("$filter=engagementId%20eq%20%27" .. mine.engagementId .. "%27", requests[1].query)
    assert.same(all, client:related(mine.engagementId))
  end)

  it("when step 2 fails, returns err.created; connect resumes without a second engagement", function()
    fail_post_after(1)
    local mine, err = client:create_shared(request(), { invite = INVITE })
    assert.is_nil(mine)
    -- a 500 to a POST may have been processed: not retryable (issue 4, never a duplicate)
    assert.same({ "api", "generalException", 500, false },
      { err.category, err.code, err.status, err.retryable })
    local stored = server.referrals()
    assert.same({ stored[1] }, { err.created })
    -- The message says that step 1 made a referral, which one, and how to finish.
    assert.truthy(err.message:find("step 1 created referral " .. stored[1].id, 1, true), err.message)
    assert.truthy(err.message:find("client:connect(err.created)", 1, true), err.message)
    assert.truthy(err.message:find("referrals share --resume " .. stored[1].id, 1, true), err.message)
    assert.truthy(err.message:find("try again", 1, true), err.message) -- the step-2 failure

    before_request = nil
    local n = #server.requests()
    local connected, err2 = client:connect(err.created, { invite = INVITE })
    assert.is_nil(err2)
    stored = server.referrals()
    assert.equal(2, #stored)
    assert.equal(stored[1].engagementId, stored[2].engagementId)
    assert.same(stored[2], connected)
    local requests = wire(n)
    assert.same({ "GET", "POST" }, { requests[1].method, requests[#requests].method })
    assert.same(connected_body(err.created, err.created.engagementId), requests[#requests].body)

    -- a second connect finds the connected half and creates nothing
    local again = assert(client:connect(err.created, { invite = INVITE }))
    assert.same(connected, again)
    assert.equal(2, #server.referrals())
  end)

  it("connect resumes from the engagement id alone", function()
    fail_post_after(1)
    local _, err = client:create_shared(request(), { invite = INVITE })
    before_request = nil
    local connected = assert(client:connect(err.created.engagementId, { invite = INVITE }))
    local stored = server.referrals()
    assert.equal(2, #stored)
    assert.same(stored[2], connected)
    local requests = wire()
    assert.same(connected_body(stored[1], stored[1].engagementId), requests[#requests].body)
  end)

  it("connect refuses an engagement without referrals", function()
    local connected, err = client:connect("00000000-0000-4000-8000-000000000000")
    assert.is_nil(connected)
    assert.same({ "validation", "engagement", "engagementId" }, { err.category, err.code, err.field })
    assert.equal(0, #server.referrals())
  end)

  it("a failed step 1 creates nothing and carries no created referral", function()
    fail_post_after(0)
    local mine, err = client:create_shared(request(), { invite = INVITE })
    assert.is_nil(mine)
    assert.is_nil(err.created)
    assert.equal(0, #server.referrals())
  end)

  it("raises for arguments of the wrong type", function()
    assert.matches("bad argument #1 to 'create_shared' (table expected, got string)",
      helper.raised(client.create_shared, client, "x"), 1, true)
    assert.matches("bad argument #1 to 'connect' (referral or engagement id expected, got number)",
      helper.raised(client.connect, client, 5), 1, true)
    assert.matches("bad argument #1 to 'related'",
      helper.raised(client.related, client, {}), 1, true)
  end)
end)
