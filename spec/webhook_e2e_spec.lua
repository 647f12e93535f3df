-- spec/webhook_e2e_spec.lua: webhooks end to end (issue 14). The bundled server, over HTTPS
-- with the committed test keys, POSTs signed events to examples/webhook_receiver.lua running
-- as a real process; the receiver verifies each one and reads the referral back from the
-- server. Each fault mode of the server gets the receiver's 401 with the verifier's code.
--
-- lua-http is packaged by Debian for Lua 5.1, 5.2 and LuaJIT: the receiver runs under the
-- spec's own interpreter when it has lua-http, else under lua5.1 with the module of the
-- build/lua5.1 tree (make check and make build make it).
local cjson = require "cjson"
local referrals = require "referrals"
local helper = require "spec.helper"
local fixtures = require "spec.fixtures"

local quote = helper.quote
local KEYS = "tests/fixtures/webhook/"
local TOKEN = "e2e-token"

local read_file, sleep = helper.read_file, helper.sleep

-- Polls until f returns a true value; a bound on the loop, never a timed assertion.
local function eventually(what, f)
  for _ = 1, 400 do
    local v = f()
    if v then return v end
    sleep(0.05)
  end
  error("gave up waiting for " .. what)
end

-- The interpreter and LUA_CPATH the receiver runs with (the Lua files from lua/, the rest
-- from that interpreter's own default paths).
local function receiver_lua()
  if pcall(require, "http.server") then return helper.interpreter(), package.cpath end
  assert(read_file("build/lua5.1/referrals/core.so"),
    "the receiver needs lua-http: on Lua 5.1 here, with build/lua5.1 (make check builds it)")
  return "lua5.1", "build/lua5.1/?.so;;"
end

-- Starts the example receiver against server; returns it with its output and stop().
local function start_receiver(server)
  local dir, remove_dir = helper.tempdir()
  local lua, cpath = receiver_lua()
  -- env -u LD_PRELOAD: the sanitizer run's libasan is for the 5.4 build, not this interpreter
  os.execute("env -u LD_PRELOAD LUA_CPATH=" .. quote(cpath) .. " LUA_PATH='lua/?.lua;lua/?/init.lua;;'" ..
    " REFERRALS_BASE_URL=" .. quote(server.base_url) .. " REFERRALS_TOKEN=" .. TOKEN ..
    " REFERRALS_CA_FILE=" .. KEYS .. "ca.pem REFERRALS_WEBHOOK_CA_FILE=" .. KEYS .. "trusted.pem" ..
    " REFERRALS_WEBHOOK_CERT_HOSTS=127.0.0.1:" .. server.port .. " " .. quote(lua) ..
    " examples/webhook_receiver.lua 0 >" .. quote(dir .. "/out") .. " 2>&1 & echo $! >" ..
    quote(dir .. "/pid"))
  local receiver = { pid = assert(tonumber(read_file(dir .. "/pid"))) }
  function receiver.lines()
    local lines = {}
    for line in (read_file(dir .. "/out") or ""):gmatch("[^\n]+") do lines[#lines + 1] = line end
    return lines
  end
  local first = eventually("the receiver to listen", function() return receiver.lines()[1] end)
  receiver.url = assert(first:match("^listening on (http://127%.0%.0%.1:%d+/)$"), first)
  function receiver.stop()
    os.execute("kill " .. receiver.pid .. " 2>/dev/null")
    remove_dir()
  end
  return receiver
end

local function certificate_fetches(server)
  local n = 0
  for _, r in ipairs(server.requests()) do
    if r.path:match("^/cert/") then n = n + 1 end
  end
  return n
end

-- The server's events once none is pending any more.
local function settled(server, count)
  return eventually(count .. " events delivered or parked", function()
    local events = server.control("GET", "events")
    if #events < count then return nil end
    for _, e in ipairs(events) do
      if e.state == "pending" then return nil end
    end
    return events
  end)
end

describe("webhook events from the bundled server to the example receiver", function()
  local server, receiver, client, hooks
  local create_body = cjson.decode(fixtures.read("create-request.json"))

  setup(function()
    server = helper.start { "--token", TOKEN, "--cert", KEYS .. "server.pem",
      "--key", KEYS .. "server.key", "--webhook-cert", KEYS .. "leaf.pem",
      "--webhook-key", KEYS .. "leaf.key", "--webhook-other-cert", KEYS .. "other-issuer.pem",
      "--webhook-other-key", KEYS .. "other-issuer.key",
      "--webhook-untrusted-cert", KEYS .. "untrusted-leaf.pem",
      "--webhook-untrusted-key", KEYS .. "untrusted-leaf.key", "--webhook-retry-ms", "1" }
    client = referrals.new { base_url = server.base_url, token = TOKEN, ca_file = KEYS .. "ca.pem" }
    hooks = referrals.webhooks.new { base_url = server.base_url, token = TOKEN,
      ca_file = KEYS .. "ca.pem" }
  end)
  teardown(function()
    hooks:close()
    client:close()
    server.stop()
  end)
  before_each(function()
    server.reset()
    receiver = start_receiver(server)
  end)
  after_each(function() if receiver then receiver.stop() end end)

  local function listen_for(events, signature_header)
    assert(hooks:register { url = receiver.url, events = events, signature_header = signature_header })
  end

  it("a created referral: signed event, verified, the referral read back; one fetch for ten", function()
    listen_for({ "referral-created" }, false)
    local ref = assert(client:create(create_body))
    local events = settled(server, 1)
    local lines = eventually("the receiver's line", function()
      local l = receiver.lines()
      return #l == 2 and l
    end)
    assert.same({ "listening on " .. receiver.url,
      ("referral-created %s Active/Accepted %q"):format(ref.id, ref.name) }, lines)

    local e = events[1]
    assert.same({ "referral-created", receiver.url, "Authorization", "rsa-sha256",
      server.base_url .. "/cert/pcnotifications-dispatch.test.cer", "none", "delivered" },
      { e.EventName, e.url, e.signature_header, e.algorithm, e.certificate_url, e.fault, e.state })
    assert.equal(1, #e.attempts)
    assert.equal(200, e.attempts[1].status)
    local body = cjson.decode(e.body)
    local changed = body.ResourceChangeUtcDate
    assert.truthy(changed:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%d%d%d%d%d%+00:00$"), changed)
    body.ResourceChangeUtcDate = "<date>"
    assert.same({ EventName = "referral-created",
      ResourceUri = "https://api.partnercenter.microsoft.com/engagements/v1/referrals/" .. ref.id,
      ResourceName = "referral", AuditUri = cjson.null, ResourceChangeUtcDate = "<date>" }, body)
    -- PascalCase members in the service's order, as the issue's example has them
    assert.truthy(e.body:match('^{"EventName":"referral%-created","ResourceUri":"[^"]+",' ..
      '"ResourceName":"referral","AuditUri":null,"ResourceChangeUtcDate":"[^"]+"}$'), e.body)

    -- after the registration and the client's POST (records 0 and 1): the certificate
    -- fetched once, then the receiver's GET
    local wire = server.wire(2, TOKEN)
    assert.same({ "GET", "/cert/pcnotifications-dispatch.test.cer" }, { wire[1].method, wire[1].path })
    assert.same({ "GET", "/v1.0/engagements/referrals/" .. ref.id, "Bearer <token>" },
      { wire[2].method, wire[2].path, wire[2].headers.authorization })
    assert.equal(2, #wire)

    for _ = 2, 10 do assert(client:create(create_body)) end
    settled(server, 10)
    eventually("ten lines", function() return #receiver.lines() == 11 end)
    assert.equal(1, certificate_fetches(server))
  end)

  it("an update, with the signature in x-ms-signature", function()
    listen_for({ "referral-updated" }, true)
    local ref = assert(client:create(create_body))
    assert(client:update(ref.id, { status = "Closed", substatus = "Won" }))
    local events = settled(server, 1)
    assert.same({ "referral-updated", "x-ms-signature", "delivered" },
      { events[1].EventName, events[1].signature_header, events[1].state })
    eventually("the line", function() return #receiver.lines() == 2 end)
    assert.equal(("referral-updated %s Closed/Won %q"):format(ref.id, ref.name), receiver.lines()[2])
  end)

  it("a test event from validationEvents: verified, no referral to read", function()
    listen_for({ "test-created" }, false)
    local correlation = assert(hooks:test())
    local events = settled(server, 1)
    assert.same({ correlation, "test-created", "delivered" },
      { events[1].id, events[1].EventName, events[1].state })
    assert.equal("https://api.partnercenter.microsoft.com/webhooks/v1/registration/validationEvents/" ..
      correlation, cjson.decode(events[1].body).ResourceUri)
    eventually("the line", function() return #receiver.lines() == 2 end)
    assert.equal("test-created (names no referral)", receiver.lines()[2])
    -- the attempt is the test event's status too
    local status = assert(hooks:test_status(correlation))
    assert.same({ "completed", 1, "OK" }, { status.status, #status.attempts, status.attempts[1].response_code })
  end)

  for _, case in ipairs {
    { "tampered_body", "signature", 1 },
    { "other_issuer", "certificate_issuer", 10 }, -- a refused certificate is fetched again
    { "untrusted_chain", "certificate_chain", 10 },
    { "other_host", "certificate_url", 0 },     -- never fetched
    { "rsa_sha1", "algorithm", 0 },
  } do
    local mode, code, fetches = case[1], case[2], case[3]
    it("fault " .. mode .. ": ten attempts, each 401 (" .. code .. "), then parked", function()
      listen_for({ "referral-created" }, false)
      server.control("POST", "event-faults", cjson.encode { mode = mode })
      local ref = assert(client:create(create_body))
      local e = settled(server, 1)[1]
      assert.same({ mode, "parked", 10 }, { e.fault, e.state, #e.attempts })
      for _, a in ipairs(e.attempts) do assert.equal(401, a.status) end
      local expected = { "listening on " .. receiver.url }
      for i = 2, 11 do expected[i] = "refused (401): " .. code end
      eventually("ten refusals", function() return #receiver.lines() == 11 end)
      assert.same(expected, receiver.lines())
      assert.equal(fetches, certificate_fetches(server))
      -- the receiver never read the referral of a refused event
      for _, r in ipairs(server.requests()) do
        assert.is_nil(r.path:find(ref.id, 1, true))
      end
    end)
  end
end)
