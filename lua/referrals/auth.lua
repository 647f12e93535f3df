--- referrals.auth: token functions for referrals.new{ token = ... }.
-- Each constructor returns a function that POSTs the documented form to
-- <authority>/<tenant>/oauth2/token (the v1 endpoint) for the resource
-- https://api.partner.microsoft.com, through the module's own libcurl layer
-- (a token request primitive of the C module that this file takes for itself, so it is a
-- member of no public table), and returns access_token, expires_in. The token is cached by
-- the client (it calls again 5 minutes before expiry, or with { force = true } after a 401);
-- a refresh token the endpoint rotates is kept for the next request.
--
--   local client = referrals.new { token = referrals.auth.refresh_token {
--     tenant = "contoso.onmicrosoft.com", client_id = "...", refresh_token = "..." } }
local core = require "referrals.core"

-- The token request: private to this module. Taken off the C module's table when this file
-- loads (referrals/init.lua loads it before it copies the C module's functions).
local post_form = core.post_form
local file_mode, write_private, make_private_dir =
  core.file_mode, core.write_private, core.make_private_dir
core.post_form, core.file_mode, core.write_private, core.make_private_dir = nil, nil, nil, nil
assert(post_form, "referrals.auth: load it through require, once")

local M = {}

M.RESOURCE = "https://api.partner.microsoft.com"
--- The audience of the webhook registration API; one refresh token serves both.
M.WEBHOOK_RESOURCE = "https://api.partnercenter.microsoft.com"
M.AUTHORITY = "https://login.microsoftonline.com"
M.DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

-- application/x-www-form-urlencoded (the WHATWG rule: space is +, unreserved kept).
local function encode(s)
  return (s:gsub("[^%w%-%._~ ]", function(c) return ("%%%02X"):format(c:byte()) end):gsub(" ", "+"))
end

local function form(fields, order)
  local parts = {}
  for _, k in ipairs(order) do
    if fields[k] ~= nil then parts[#parts + 1] = k .. "=" .. encode(fields[k]) end
  end
  return table.concat(parts, "&")
end

local function check(opts, name, required)
  local v = opts[name]
  if v == nil and not required then return end
  if type(v) ~= "string" or v == "" then
    error(("bad argument #1 (%s: non-empty string expected, got %s)"):format(name, type(v)), 4)
  end
end

-- The options of the HTTP request itself, passed to post_form (referrals.new's names).
local HTTP_OPTIONS = { "timeout", "connect_timeout", "ca_file", "ca_path", "verify", "proxy",
  "retries", "retry_delay", "max_retry_delay", "user_agent" }

-- Raised as text: the client reports it as an auth error ("the token function raised an
-- error: ..."), and its messages never hold a secret (OAuth error codes and descriptions).
local function fail(status, code, text)
  error(("token endpoint: HTTP %s: %s (%s)"):format(tostring(status), text, code), 0)
end

-- The form of the next request: the password grant (ROPC) until the endpoint gave a refresh
-- token, the refresh-token grant from then on.
local function grant_form(opts, state)
  local f = { resource = opts.resource or M.RESOURCE, client_id = opts.client_id,
    client_secret = opts.client_secret }
  if state.scope then -- the v2 endpoint (device code): scopes instead of a resource
    f.grant_type, f.refresh_token, f.scope = "refresh_token", state.refresh_token, state.scope
    return form(f, { "grant_type", "client_id", "client_secret", "scope", "refresh_token" })
  end
  if state.refresh_token then
    f.grant_type, f.refresh_token = "refresh_token", state.refresh_token
    return form(f, { "grant_type", "resource", "client_id", "client_secret", "refresh_token" })
  end
  -- spec §4's reference request, field for field
  f.grant_type, f.scope, f.username, f.password = "password", "openid", opts.username, opts.password
  return form(f, { "resource", "grant_type", "scope", "client_id", "client_secret", "username",
    "password" })
end

local function http_options(opts)
  if opts.allow_http ~= nil and type(opts.allow_http) ~= "boolean" then
    error(("bad argument #1 (allow_http: boolean expected, got %s)"):format(type(opts.allow_http)), 0)
  end
  -- The form carries a password, a client secret or a refresh token: never in clear text,
  -- unless the caller says so (a local test server).
  if type(opts.authority) == "string" and opts.authority:lower():find("^http://")
    and not opts.allow_http then
    error("bad argument #1 (authority: an http:// authority would receive the password, client "
      .. "secret or refresh token in clear text; use https://, or allow_http = true for a local "
      .. "test server)", 0)
  end
  local http = { base_url = opts.authority or M.AUTHORITY }
  for _, k in ipairs(HTTP_OPTIONS) do http[k] = opts[k] end
  return http
end

-- "/<tenant><tail>", the tenant percent-encoded.
local function tenant_path(opts, tail)
  return "/" .. opts.tenant:gsub("[^%w%-%._~]", function(c)
    return ("%%%02X"):format(c:byte())
  end) .. tail
end

-- base64url (RFC 4648 section 5), unpadded as in a JWT; nil for other text.
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local cjson = require "cjson"

local function base64url_decode(s)
  if s:find("[^%w%-_]") then return nil end
  local bits, out = {}, {}
  for i = 1, #s do
    local v = B64:find(s:sub(i, i), 1, true) - 1
    for b = 5, 0, -1 do bits[#bits + 1] = math.floor(v / 2 ^ b) % 2 end
  end
  for i = 1, #bits - 7, 8 do
    local byte = 0
    for b = 0, 7 do byte = byte * 2 + bits[i + b] end
    out[#out + 1] = string.char(byte)
  end
  return table.concat(out)
end

-- The claims of a JWT (its payload, read WITHOUT verifying the signature: they only say who
-- signed in, for whoami; nothing is decided on them), or nil for an opaque token.
local function jwt_claims(token)
  local payload = type(token) == "string" and token:match("^[%w%-_]+%.([%w%-_]+)%.[%w%-_]*$")
  local json = payload and base64url_decode(payload)
  local ok, claims = pcall(cjson.decode, json or "")
  if ok and type(claims) == "table" then return claims end
end

-- The account a token answer signed in: { username = UPN, tenant_id = tid } from its ID token
-- (an openid sign-in), else from its access token's claims; nil when neither says.
local function account_of(answer)
  local claims = jwt_claims(answer.id_token) or jwt_claims(answer.access_token)
  if not claims then return nil end
  local function text(v) return type(v) == "string" and v or nil end
  local account = { username = text(claims.preferred_username) or text(claims.upn)
    or text(claims.unique_name), tenant_id = text(claims.tid) }
  if account.username or account.tenant_id then return account end
end

-- state: { refresh_token, scope (v2 endpoint), access_token + expires_in (a first answer
-- already in hand), on_refresh_token (called with each new refresh token and the account
-- its answer names) }.
local function token_function(opts, state)
  check(opts, "tenant", true)
  check(opts, "client_id", true)
  check(opts, "client_secret", false)
  local http = http_options(opts)
  local path = tenant_path(opts, state.scope and "/oauth2/v2.0/token" or "/oauth2/token")

  return function()
    if state.access_token then -- the device-code grant's own answer, used once
      local token, expires_in = state.access_token, state.expires_in
      state.access_token, state.expires_in = nil, nil
      return token, expires_in
    end
    local status, answer = post_form(http, path, grant_form(opts, state))
    if not status then error(tostring(answer), 0) end -- no answer: transport
    if type(answer) ~= "table" then fail(status, "token_response", "not a JSON object") end
    if status ~= 200 or type(answer.access_token) ~= "string" or answer.access_token == "" then
      -- OAuth errors: {"error":"invalid_grant","error_description":"..."}
      fail(status, type(answer.error) == "string" and answer.error or "token_response",
        type(answer.error_description) == "string" and answer.error_description
          or "no access_token in the answer")
    end
    if type(answer.refresh_token) == "string" and answer.refresh_token ~= "" then
      state.refresh_token = answer.refresh_token -- rotated: the old one may be revoked
      if state.on_refresh_token then state.on_refresh_token(answer.refresh_token, account_of(answer)) end
    end
    -- expires_in: "3600" from the v1 endpoint, a number elsewhere; the client
    -- reads both and asks again 5 minutes before expiry
    return answer.access_token, answer.expires_in
  end
end

-- resource (the v1 endpoint) or scope (the v2 endpoint), not both: the audience asked for.
local function check_audience(opts, name)
  check(opts, "resource", false)
  check(opts, "scope", false)
  if opts.resource and opts.scope then
    error(("bad argument #1 to '%s' (resource or scope, not both)"):format(name), 3)
  end
end

--- The refresh-token grant of the Secure Application Model:
-- { tenant, client_id, client_secret?, refresh_token, resource? or scope?, authority?,
-- allow_http? } + HTTP options. `resource` (default M.RESOURCE, the Referrals API; M.WEBHOOK_RESOURCE
-- for the webhook registration API) asks the v1 endpoint for that audience; `scope` (e.g.
-- `M.WEBHOOK_RESOURCE .. "/.default offline_access"`) asks the v2 endpoint instead. One
-- refresh token serves both audiences.
-- An http:// authority raises unless allow_http = true: the form holds secrets.
function M.refresh_token(opts)
  if type(opts) ~= "table" then error("bad argument #1 to 'refresh_token' (table expected)", 2) end
  check(opts, "refresh_token", true)
  check_audience(opts, "refresh_token")
  return token_function(opts, { refresh_token = opts.refresh_token, scope = opts.scope })
end

--- The documented ROPC request (grant_type=password, scope=openid):
-- { tenant, client_id, client_secret?, username, password, resource?, authority?,
-- allow_http? } + HTTP options; `resource` as for @{refresh_token} (default the Referrals API).
-- An http:// authority raises unless allow_http = true: the form holds the password.
-- Once the endpoint returns a refresh token, later requests use it instead of the password.
function M.password(opts)
  if type(opts) ~= "table" then error("bad argument #1 to 'password' (table expected)", 2) end
  check(opts, "username", true)
  check(opts, "password", true)
  check(opts, "resource", false)
  local copy = {}
  for k, v in pairs(opts) do copy[k] = v end
  copy.refresh_token = nil
  return token_function(copy, {})
end

local function auth_error(code, message, status)
  return core.error { category = "auth", code = code, message = message, status = status }
end

-- The scopes of a device-code sign-in: the API's, plus a refresh token (offline_access)
-- and an ID token with the account's name and tenant (openid profile).
local function device_scope(opts)
  local scope = opts.scope
  if scope == nil then scope = (opts.resource or M.RESOURCE) .. "/.default" end
  return scope .. " offline_access openid profile"
end

-- The outcomes of a poll that end the sign-in (RFC 8628 section 3.5, Entra's names).
local DEVICE_FAILURES = {
  authorization_declined = "the sign-in was declined",
  expired_token = "the code expired before the sign-in finished: run the sign-in again",
  bad_verification_code = "the device code is not known to the endpoint",
}

--- The device authorization grant (Microsoft Entra v2): shows a code through prompt, waits
-- for the user to sign in in a browser, and returns a token function like the others
-- (refreshed with the refresh token it received; rotated ones are kept), or nil, err.
-- opts: { tenant, client_id, scope? or resource? (default the Referrals API),
-- prompt = function(info) (info.verification_uri, info.user_code, info.message,
-- info.expires_in), on_refresh_token = function(rt, account)? (account: { username, tenant_id }
-- from the ID token, or nil), authority? } + HTTP options.
function M.device_code(opts)
  if type(opts) ~= "table" then error("bad argument #1 to 'device_code' (table expected)", 2) end
  check(opts, "tenant", true)
  check(opts, "client_id", true)
  check(opts, "scope", false)
  check(opts, "resource", false)
  if type(opts.prompt) ~= "function" then
    error("bad argument #1 to 'device_code' (prompt: function expected, got "
      .. type(opts.prompt) .. ")", 2)
  end
  -- lua-system (Debian lua-system, busted's own clock): a real sleep between polls and a
  -- monotonic-enough clock; loaded here so the other grants do not need it
  local system = require "system"
  local http, scope = http_options(opts), device_scope(opts)
  local status, start = post_form(http, tenant_path(opts, "/oauth2/v2.0/devicecode"),
    form({ client_id = opts.client_id, scope = scope }, { "client_id", "scope" }))
  if not status then return nil, start end
  if status ~= 200 or type(start) ~= "table" or type(start.device_code) ~= "string" then
    local e = type(start) == "table" and start or {}
    return nil, auth_error(type(e.error) == "string" and e.error or "device_code",
      "device code endpoint: HTTP " .. tostring(status) .. ": "
        .. (type(e.error_description) == "string" and e.error_description or "no device code"),
      status)
  end
  opts.prompt { verification_uri = start.verification_uri, user_code = start.user_code,
    message = start.message, expires_in = start.expires_in }

  local interval = tonumber(start.interval) or 5
  local deadline = system.gettime() + (tonumber(start.expires_in) or 900)
  local poll = form({ grant_type = M.DEVICE_CODE_GRANT, client_id = opts.client_id,
    client_secret = opts.client_secret, device_code = start.device_code },
    { "grant_type", "client_id", "client_secret", "device_code" })
  local path = tenant_path(opts, "/oauth2/v2.0/token")
  while true do
    system.sleep(interval)
    if system.gettime() > deadline then
      return nil, auth_error("expired_token", DEVICE_FAILURES.expired_token)
    end
    local code, answer = post_form(http, path, poll)
    if not code then return nil, answer end
    answer = type(answer) == "table" and answer or {}
    if code == 200 and type(answer.access_token) == "string" then
      local state = { scope = scope, refresh_token = answer.refresh_token,
        access_token = answer.access_token, expires_in = answer.expires_in,
        on_refresh_token = opts.on_refresh_token }
      if state.on_refresh_token and type(answer.refresh_token) == "string" then
        state.on_refresh_token(answer.refresh_token, account_of(answer))
      end
      return token_function(opts, state)
    elseif answer.error == "slow_down" then
      interval = interval + 5 -- RFC 8628 section 3.5
    elseif answer.error ~= "authorization_pending" then
      local e = type(answer.error) == "string" and answer.error or "device_code"
      return nil, auth_error(e, DEVICE_FAILURES[e] or ("token endpoint: HTTP " .. tostring(code)
        .. ": " .. tostring(answer.error_description or "no access_token in the answer")), code)
    end
  end
end

-- ---- the token cache ----

-- The default cache file: $XDG_CONFIG_HOME/referrals/tokens.json, or ~/.config/referrals/.
local function default_cache_path()
  local base = os.getenv("XDG_CONFIG_HOME")
  if not base or base == "" then
    local home = os.getenv("HOME")
    if not home or home == "" then return nil end
    base = home .. "/.config"
  end
  return base .. "/referrals/tokens.json"
end

local function cache_error(code, message)
  return core.error { category = "auth", code = code, message = message }
end

-- Refuses a file or folder that others can read (group or world bits set).
local function check_private(path, what)
  local mode = file_mode(path)
  if mode and mode % 64 ~= 0 then -- mode & 077
    return nil, cache_error("cache_permissions", ("the token cache %s %s is readable by others "
      .. "(mode %03o): make it owner-only (chmod %s %s)"):format(what, path, mode,
      what == "folder" and "700" or "600", path))
  end
  return true
end

local Cache = {}
Cache.__index = Cache
Cache.__tostring = function(c) return "referrals.auth.cache (" .. c.path .. ")" end

local function key(tenant, client_id, audience)
  return tenant .. " " .. client_id .. " " .. audience
end

-- The entries as stored: { [key] = { tenant, client_id, audience, refresh_token, account } }.
function Cache:load()
  local ok, err = check_private(self.folder, "folder")
  if not ok then return nil, err end
  ok, err = check_private(self.path, "file")
  if not ok then return nil, err end
  local f = io.open(self.path, "rb")
  if not f then return {} end
  local text = f:read("*a")
  f:close()
  local decoded_ok, doc = pcall(cjson.decode, text)
  if not decoded_ok or type(doc) ~= "table" then
    return nil, cache_error("cache_format", "the token cache " .. self.path .. " is not JSON")
  end
  return doc
end

-- Makes folder and each missing folder above it, owner-only (0700, as the XDG base directory
-- spec asks of $XDG_CONFIG_HOME): a new account has no ~/.config yet.
local function make_private_dirs(folder)
  local parent = folder:match("^(.+)/[^/]+$")
  if parent and not file_mode(parent) then
    local ok, err = make_private_dirs(parent)
    if not ok then return nil, err end
  end
  return make_private_dir(folder)
end

function Cache:save(entries)
  local ok, err = make_private_dirs(self.folder)
  if not ok then return nil, cache_error("cache_write", err) end
  ok, err = check_private(self.folder, "folder")
  if not ok then return nil, err end
  ok, err = write_private(self.path, cjson.encode(entries))
  if not ok then return nil, cache_error("cache_write", err) end
  return true
end

--- The refresh token for tenant, client and audience; one signed in for another audience of
-- the same tenant and client serves too. Returns refresh_token, entry, or nil[, err].
function Cache:get(tenant, client_id, audience)
  local entries, err = self:load()
  if not entries then return nil, err end
  local e = entries[key(tenant, client_id, audience)]
  if not e then
    for _, other in pairs(entries) do
      if other.tenant == tenant and other.client_id == client_id then e = other break end
    end
  end
  if e then return e.refresh_token, e end
  return nil
end

--- Stores a refresh token (account: optional { username, tenant_id } to show later).
function Cache:put(tenant, client_id, audience, refresh_token, account)
  local entries, err = self:load()
  if not entries then return nil, err end
  entries[key(tenant, client_id, audience)] = { tenant = tenant, client_id = client_id,
    audience = audience, refresh_token = refresh_token, account = account }
  return self:save(entries)
end

--- The entries without their tokens: a list of { tenant, client_id, audience, account }.
function Cache:entries()
  local entries, err = self:load()
  if not entries then return nil, err end
  local out = {}
  for _, e in pairs(entries) do
    out[#out + 1] = { tenant = e.tenant, client_id = e.client_id, audience = e.audience,
      account = e.account }
  end
  table.sort(out, function(a, b) return key(a.tenant, a.client_id, a.audience)
    < key(b.tenant, b.client_id, b.audience) end)
  return out
end

--- Forgets every token (logout): removes the file. true, or nil, err.
function Cache:clear()
  local ok, err = os.remove(self.path)
  if not ok and io.open(self.path) then return nil, cache_error("cache_write", err) end
  return true
end

--- A token function for audience (default the Referrals API) from the cached refresh token,
-- saving each rotated one; opts: { tenant, client_id, audience?, authority? } + HTTP options.
-- nil, err when nothing is cached.
function Cache:token(opts)
  local audience = opts.audience or M.RESOURCE
  local rt, err = self:get(opts.tenant, opts.client_id, audience)
  if not rt then
    return nil, err or cache_error("not_signed_in", "no token is cached for tenant "
      .. tostring(opts.tenant) .. ": run referrals login")
  end
  local _, entry = self:get(opts.tenant, opts.client_id, audience)
  return token_function(opts, { scope = audience .. "/.default offline_access openid profile",
    refresh_token = rt, on_refresh_token = function(new, account)
      self:put(opts.tenant, opts.client_id, audience, new, account or entry and entry.account)
    end })
end

--- The token cache: refresh tokens per tenant, client and audience in a file only its owner
-- can read (created 0600 in a 0700 folder, refused when others can read either, written to a
-- temporary file and renamed). opts: { path? } (default $XDG_CONFIG_HOME/referrals/tokens.json
-- or ~/.config/referrals/tokens.json).
function M.cache(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("bad argument #1 to 'cache' (table expected)", 2) end
  local path = opts.path or default_cache_path()
  if type(path) ~= "string" or path == "" then
    error("bad argument #1 to 'cache' (path: non-empty string expected, and no HOME is set)", 2)
  end
  return setmetatable({ path = path, folder = path:match("^(.*)/[^/]*$") or "." }, Cache)
end

return M
