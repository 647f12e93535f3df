-- referrals.auth (issue 4, spec §4) against the fake server's token endpoint
-- POST /<tenant>/oauth2/token: the documented form, expires_in as a string, the cache, the
-- rotated refresh token, and the errors, which never show a secret.
local referrals = require "referrals"
local helper = require "helper"

local SECRET, PASSWORD = "client-secret-4d2", "pa ss&word=9"

-- A form body as a table (decoding + and %XX).
local function fields(body)
  local out = {}
  for k, v in body:gmatch("([^&=]+)=([^&]*)") do
    out[k] = v:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  end
  return out
end

describe("referrals.auth", function()
  local server

  setup(function() server = helper.start { "--token", "fixed-token" } end)
  teardown(function() server.stop() end)
  before_each(function() server.reset() end)

  local function token_requests()
    local out = {}
    for _, r in ipairs(server.requests()) do
      if r.path:match("/oauth2/token$") then out[#out + 1] = r end
    end
    return out
  end

  local function password_fn(extra)
    local opts = { tenant = "common", client_id = "app-1", client_secret = SECRET,
      username = "user@contoso.com", password = PASSWORD, authority = server.base_url, allow_http = true }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return referrals.auth.password(opts)
  end

  it("password posts the documented ROPC form and gives a token the API accepts", function()
    local client = referrals.new { base_url = server.base_url, token = password_fn() }
    assert.same({ value = {} }, client:list())
    assert.same({ value = {} }, client:list()) -- cached: expires_in "3600" is a string
    client:close()
    local sent = token_requests()
    assert.equal(1, #sent)
    assert.equal("POST", sent[1].method)
    assert.equal("/common/oauth2/token", sent[1].path)
    assert.equal("application/x-www-form-urlencoded", sent[1].headers["content-type"])
    assert.is_nil(sent[1].headers.authorization)
    assert.same({ resource = "https://api.partner.microsoft.com", grant_type = "password",
      scope = "openid", client_id = "app-1", client_secret = SECRET,
      username = "user@contoso.com", password = PASSWORD }, fields(sent[1].body))
  end)

  it("refreshes with the rotated refresh token after a 401 (force)", function()
    local fn = password_fn()
    local client = referrals.new { base_url = server.base_url, token = fn }
    assert(client:list())
    local first = fields(token_requests()[1].body)
    server.faults { status = 401, match = { method = "GET" } }
    assert.same({ value = {} }, client:list())
    client:close()
    local sent = token_requests()
    assert.equal(2, #sent)
    local second = fields(sent[2].body)
    assert.equal("refresh_token", second.grant_type)
    assert.is_string(second.refresh_token)
    assert.is_nil(second.password)
    assert.is_nil(first.refresh_token)
  end)

  it("refresh_token uses the grant and returns expires_in as the endpoint sent it", function()
    -- a refresh token the server knows: the one a password grant returned, seen on the wire
    -- when the password function switches to it
    local pw = password_fn()
    pw()
    pw()
    local rt = fields(token_requests()[2].body).refresh_token
    local fn = referrals.auth.refresh_token { tenant = "contoso.onmicrosoft.com",
      client_id = "app-1", refresh_token = rt, authority = server.base_url, allow_http = true }
    local token, ttl = fn()
    assert.is_string(token)
    assert.equal("3600", ttl)
    local sent = token_requests()[3]
    assert.equal("/contoso.onmicrosoft.com/oauth2/token", sent.path)
    assert.same({ grant_type = "refresh_token", resource = "https://api.partner.microsoft.com",
      client_id = "app-1", refresh_token = rt }, fields(sent.body))
    fn()
    assert.is_not.equal(rt, fields(token_requests()[4].body).refresh_token) -- rotated
  end)

  it("reports an OAuth error without a secret", function()
    local bad = referrals.auth.refresh_token { tenant = "common", client_id = "app-1",
      client_secret = SECRET, refresh_token = "unknown-rt", authority = server.base_url, allow_http = true }
    local client = referrals.new { base_url = server.base_url, token = bad }
    local got, err = client:list()
    client:close()
    assert.is_nil(got)
    assert.same({ "auth", "token" }, { err.category, err.code })
    assert.matches("HTTP 400: .*(invalid_grant)", err.message)
    assert.is_nil(err.message:find(SECRET, 1, true))
    assert.is_nil(err.message:find("unknown-rt", 1, true))
  end)

  it("checks its arguments", function()
    assert.matches("refresh_token: non%-empty string expected",
      helper.raised(referrals.auth.refresh_token, { tenant = "t", client_id = "c" }))
    assert.matches("username: non%-empty string expected",
      helper.raised(referrals.auth.password, { tenant = "t", client_id = "c", password = "p" }))
  end)

  it("reports an endpoint that cannot be reached as an auth error", function()
    local fn = referrals.auth.refresh_token { tenant = "common", client_id = "c",
      refresh_token = "rt", authority = "http://127.0.0.1:1", allow_http = true, retries = 0 }
    local client = referrals.new { base_url = server.base_url, token = fn }
    local _, err = client:list()
    client:close()
    assert.same({ "auth", "token" }, { err.category, err.code })
    assert.matches("CONNECT", err.message, 1, true)
  end)
end)

-- Both audiences (issue 17): the Referrals API's and the webhook registration API's, from
-- the server's token endpoint, which issues JWT-shaped tokens for the audience asked for;
-- each API refuses the other's token with a 401, and the client's error names the one needed.
describe("referrals.auth for either audience", function()
  local REFERRALS, PARTNER_CENTER = "https://api.partner.microsoft.com",
    "https://api.partnercenter.microsoft.com"
  local server

  setup(function() server = helper.start {} end)
  teardown(function() server.stop() end)
  before_each(function() server.reset() end)

  local function token_forms()
    local out = {}
    for _, r in ipairs(server.requests()) do
      if r.path:match("/oauth2/") then out[#out + 1] = { path = r.path, form = fields(r.body) } end
    end
    return out
  end

  local function password(extra)
    local opts = { tenant = "contoso.onmicrosoft.com", client_id = "app-1",
      username = "ada@contoso.com", password = PASSWORD, authority = server.base_url,
      allow_http = true }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return referrals.auth.password(opts)
  end

  -- The status and body of GET path with the token, through the curl command.
  local function get_with(token, path)
    local pipe = assert(io.popen(("env -u LD_PRELOAD curl -sS -w '\\n%%{http_code}' -H %s %s")
      :format(helper.quote("Authorization: Bearer " .. token), helper.quote(server.base_url .. path))))
    local out = pipe:read("*a")
    pipe:close()
    local body, status = out:match("^(.*)\n(%d+)$")
    return tonumber(status), body
  end

  it("asks for the registration API's audience; the Referrals API refuses that token, naming its own",
    function()
      local client = referrals.new { base_url = server.base_url, retries = 0,
        token = password { resource = PARTNER_CENTER } }
      local got, err = client:list()
      client:close()
      assert.is_nil(got)
      assert.equal(401, err.status)
      assert.equal(REFERRALS, err.needed_audience)
      assert.equal(PARTNER_CENTER, err.audience)
      assert.equal("The bearer token is for another audience"
        .. "; the token's audience is " .. PARTNER_CENTER .. ", but this API needs " .. REFERRALS
        .. " (ask for a token for that resource: az account get-access-token --resource "
        .. REFERRALS .. ")", err.message)
      -- the password grant, then (the 401 asks once more) the refresh grant: both for the
      -- resource asked for
      local sent = token_forms()
      assert.equal(2, #sent)
      assert.same({ path = "/contoso.onmicrosoft.com/oauth2/token", form = { resource = PARTNER_CENTER,
        grant_type = "password", scope = "openid", client_id = "app-1", username = "ada@contoso.com",
        password = PASSWORD } }, sent[1])
      assert.same({ path = "/contoso.onmicrosoft.com/oauth2/token", form = {
        grant_type = "refresh_token", resource = PARTNER_CENTER, client_id = "app-1",
        refresh_token = sent[2].form.refresh_token } }, sent[2])
    end)

  it("one refresh token serves both: resource or scope, the v1 or v2 endpoint", function()
    local pw = password()
    pw()
    pw() -- the refresh grant: its refresh token is on the wire
    local rt = token_forms()[2].form.refresh_token
    local function refresh(extra)
      local opts = { tenant = "contoso.onmicrosoft.com", client_id = "app-1", refresh_token = rt,
        authority = server.base_url, allow_http = true }
      for k, v in pairs(extra) do opts[k] = v end
      return referrals.auth.refresh_token(opts)()
    end
    server.reset()
    local for_registration = refresh { scope = PARTNER_CENTER .. "/.default offline_access" }
    local for_referrals = refresh { resource = REFERRALS }
    assert.same({
      { path = "/contoso.onmicrosoft.com/oauth2/v2.0/token", form = { grant_type = "refresh_token",
        client_id = "app-1", scope = PARTNER_CENTER .. "/.default offline_access",
        refresh_token = rt } },
      { path = "/contoso.onmicrosoft.com/oauth2/token", form = { grant_type = "refresh_token",
        resource = REFERRALS, client_id = "app-1", refresh_token = rt } },
    }, token_forms())
    -- each API takes its own audience's token and refuses the other's, whoever handles the path
    assert.equal(200, (get_with(for_referrals, "/v1.0/engagements/referrals")))
    local status, body = get_with(for_registration, "/v1.0/engagements/referrals")
    assert.equal(401, status)
    assert.truthy(body:find("for another audience", 1, true))
    status, body = get_with(for_referrals, "/webhooks/v1/registration")
    assert.equal(401, status)
    assert.truthy(body:find("for another audience", 1, true))
    assert.is_not.equal(401, (get_with(for_registration, "/webhooks/v1/registration")))
    -- the registration client's 401 names its own audience
    local hooks = referrals.webhooks.new { token = for_referrals, base_url = server.base_url,
      retries = 0 }
    local got, err = hooks:get()
    assert.is_nil(got)
    assert.same({ 401, PARTNER_CENTER, REFERRALS }, { err.status, err.needed_audience, err.audience })
    assert.truthy(err.message:find("but this API needs " .. PARTNER_CENTER, 1, true))
  end)

  it("refuses resource and scope together", function()
    assert.matches("resource or scope, not both", helper.raised(referrals.auth.refresh_token,
      { tenant = "t", client_id = "c", refresh_token = "r", resource = REFERRALS,
        scope = REFERRALS .. "/.default" }))
  end)
end)
