-- referrals.auth.device_code (issue 17) against the bundled server's device-code endpoints:
-- every outcome of the poll (approved, pending, slow_down, declined, expired), the wire of
-- both requests, the token function it returns (refresh, rotation) and the audience check.
-- The server hands out a polling interval of 0 or 1 s so the specs stay fast; slow_down's
-- +5 s is the real one. No token is ever printed: assertions compare lengths and equality.
local referrals = require "referrals"
local helper = require "helper"
local cjson = require "cjson"

local GRANT = "urn:ietf:params:oauth:grant-type:device_code"

local function fields(body)
  local out = {}
  for k, v in body:gmatch("([^&=]+)=([^&]*)") do
    out[k] = v:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  end
  return out
end

local function sign_in(server, on_prompt, extra)
  local opts = { tenant = "contoso.onmicrosoft.com", client_id = "app-1",
    authority = server.base_url, allow_http = true, prompt = on_prompt }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return referrals.auth.device_code(opts)
end

-- What the user does in the browser, through the control API: now, or after delay seconds
-- (in the background, while the module polls).
local function act(server, code, action, delay)
  local body = cjson.encode { user_code = code, action = action }
  if not delay then return server.control("POST", "devicecode", body) end
  os.execute(("(sleep %s; env -u LD_PRELOAD curl -sS -f -X POST -H 'Content-Type: application/json'"
    .. " --data-binary '%s' %s/_fake/devicecode) >/dev/null 2>&1 &"):format(delay, body,
    server.base_url))
end

local function polls(server)
  local n = 0
  for _, r in ipairs(server.requests()) do
    if r.path:match("/oauth2/v2%.0/token$") and fields(r.body).grant_type == GRANT then n = n + 1 end
  end
  return n
end

describe("referrals.auth.device_code", function()
  local server
  setup(function() server = helper.start { "--device-interval", "0" } end)
  teardown(function() server.stop() end)
  before_each(function() server.reset() end)

  it("shows the code, polls the v2 token endpoint and returns a token function", function()
    local shown
    local fn, err = sign_in(server, function(info)
      shown = info
      act(server, info.user_code, "approve")
    end)
    assert.is_nil(err)
    assert.equal("https://microsoft.com/devicelogin", shown.verification_uri)
    assert.matches("^%u%u%u%u%-%u%u%u%u$", shown.user_code)
    assert.truthy(shown.message:find(shown.user_code, 1, true))
    local sent = server.requests()
    assert.equal("/contoso.onmicrosoft.com/oauth2/v2.0/devicecode", sent[1].path)
    assert.same({ client_id = "app-1",
      scope = "https://api.partner.microsoft.com/.default offline_access openid profile" },
      fields(sent[1].body))
    assert.equal("/contoso.onmicrosoft.com/oauth2/v2.0/token", sent[2].path)
    local poll = fields(sent[2].body)
    assert.same({ "grant_type", "client_id", "device_code" }, (function()
      local names = {}
      for k in sent[2].body:gmatch("([^&=]+)=") do names[#names + 1] = k end
      return names
    end)())
    assert.equal(GRANT, poll.grant_type)
    assert.equal(48, #poll.device_code)

    -- the first call hands out the token of the sign-in; it works against the API
    local token, expires_in = fn()
    assert.matches("^[%w%-_]+%.[%w%-_]+%.[%w%-_]+$", token) -- JWT-shaped, as Entra's
    assert.equal("3600", expires_in)
    local client = referrals.new { base_url = server.base_url, token = fn }
    local list, lerr = client:list()
    assert.is_nil(lerr)
    assert.same({}, list.value)
  end)

  it("refreshes with the refresh token it received and keeps the rotated one", function()
    local seen = {}
    local fn = assert(sign_in(server, function(info) act(server, info.user_code, "approve") end,
      { on_refresh_token = function(rt) seen[#seen + 1] = rt end }))
    local first = fn()
    local second = fn()
    local third = fn()
    assert.are_not.equal(first, second)
    assert.are_not.equal(second, third)
    assert.equal(3, #seen) -- the sign-in's, then one rotated per refresh
    local refreshes = {}
    for _, r in ipairs(server.requests()) do
      local f = fields(r.body or "")
      if f.grant_type == "refresh_token" then refreshes[#refreshes + 1] = f end
    end
    assert.equal(2, #refreshes)
    assert.is_true(refreshes[1].refresh_token == seen[1], "the first refresh uses the sign-in's")
    assert.is_true(refreshes[2].refresh_token == seen[2], "the second uses the rotated one")
    assert.equal("https://api.partner.microsoft.com/.default offline_access openid profile",
      refreshes[1].scope)
  end)

  for _, case in ipairs {
    { "decline", "authorization_declined", "declined" },
    { "expire", "expired_token", "expired" },
  } do
    it("returns an auth error when the user does " .. case[1], function()
      local fn, err = sign_in(server, function(info) act(server, info.user_code, case[1]) end)
      assert.is_nil(fn)
      assert.same({ "auth", case[2] }, { err.category, err.code })
      assert.truthy(tostring(err.message):find(case[3], 1, true))
      assert.equal(1, polls(server))
    end)
  end

  it("waits 5 s longer after slow_down", function()
    local t0 = helper.now()
    local fn, err = sign_in(server, function(info)
      act(server, info.user_code, "slow_down")
      act(server, info.user_code, "approve", 0.5)
    end)
    assert.is_nil(err)
    assert.is_function(fn)
    assert.is_true(helper.now() - t0 >= 5, "slow_down adds 5 s to the interval")
    assert.equal(2, polls(server))
  end)

  it("refuses a scope of no known API before showing anything", function()
    local shown = false
    local fn, err = sign_in(server, function() shown = true end, { scope = "https://example.com/.default" })
    assert.is_nil(fn)
    assert.same({ "auth", "invalid_scope" }, { err.category, err.code })
    assert.is_false(shown)
  end)

  it("asks for the webhook API's audience, whose token the Referrals API refuses", function()
    local fn = assert(sign_in(server, function(info) act(server, info.user_code, "approve") end,
      { resource = referrals.auth.WEBHOOK_RESOURCE }))
    assert.equal("https://api.partnercenter.microsoft.com/.default offline_access openid profile",
      fields(server.requests()[1].body).scope)
    local client = referrals.new { base_url = server.base_url, token = fn, retries = 0 }
    local list, err = client:list()
    assert.is_nil(list)
    assert.equal(401, err.status)
    assert.truthy(tostring(err.message):find("https://api.partner.microsoft.com", 1, true))
  end)

  it("raises for wrong argument types", function()
    assert.matches("prompt: function expected", helper.raised(referrals.auth.device_code,
      { tenant = "t", client_id = "c" }))
    assert.matches("tenant", helper.raised(referrals.auth.device_code, { client_id = "c",
      prompt = print }))
  end)

  it("is no member of a public table: the token request stays private", function()
    assert.is_nil(referrals.post_form)
    assert.is_nil(require("referrals.core").post_form)
    assert.is_nil(referrals.auth.post_form)
  end)
end)

describe("referrals.auth.device_code while the user signs in", function()
  local server
  setup(function() server = helper.start { "--device-interval", "1" } end)
  teardown(function() server.stop() end)

  it("keeps polling while the answer is authorization_pending, at the interval", function()
    local t0 = helper.now()
    local fn, err = sign_in(server, function(info) act(server, info.user_code, "approve", 1.5) end)
    assert.is_nil(err)
    assert.is_function(fn)
    local took = helper.now() - t0
    assert.is_true(took >= 2 and took < 4, "two polls 1 s apart")
    assert.equal(2, polls(server))
  end)
end)
