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
core.post_form = nil

local M = {}

M.RESOURCE = "https://api.partner.microsoft.com"
M.AUTHORITY = "https://login.microsoftonline.com"

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
  local f = { resource = M.RESOURCE, client_id = opts.client_id, client_secret = opts.client_secret }
  if state.refresh_token then
    f.grant_type, f.refresh_token = "refresh_token", state.refresh_token
    return form(f, { "grant_type", "resource", "client_id", "client_secret", "refresh_token" })
  end
  -- spec §4's reference request, field for field
  f.grant_type, f.scope, f.username, f.password = "password", "openid", opts.username, opts.password
  return form(f, { "resource", "grant_type", "scope", "client_id", "client_secret", "username",
    "password" })
end

local function token_function(opts)
  check(opts, "tenant", true)
  check(opts, "client_id", true)
  check(opts, "client_secret", false)
  local http = { base_url = opts.authority or M.AUTHORITY }
  for _, k in ipairs(HTTP_OPTIONS) do http[k] = opts[k] end
  local path = "/" .. opts.tenant:gsub("[^%w%-%._~]", function(c)
    return ("%%%02X"):format(c:byte())
  end) .. "/oauth2/token"
  local state = { refresh_token = opts.refresh_token }

  return function()
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
    end
    -- expires_in: "3600" from the v1 endpoint, a number elsewhere; the client
    -- reads both and asks again 5 minutes before expiry
    return answer.access_token, answer.expires_in
  end
end

--- The refresh-token grant of the Secure Application Model:
-- { tenant, client_id, client_secret?, refresh_token, authority? } + HTTP options.
function M.refresh_token(opts)
  if type(opts) ~= "table" then error("bad argument #1 to 'refresh_token' (table expected)", 2) end
  check(opts, "refresh_token", true)
  return token_function(opts)
end

--- The documented ROPC request (grant_type=password, scope=openid):
-- { tenant, client_id, client_secret?, username, password, authority? } + HTTP options.
-- Once the endpoint returns a refresh token, later requests use it instead of the password.
function M.password(opts)
  if type(opts) ~= "table" then error("bad argument #1 to 'password' (table expected)", 2) end
  check(opts, "username", true)
  check(opts, "password", true)
  local copy = {}
  for k, v in pairs(opts) do copy[k] = v end
  copy.refresh_token = nil
  return token_function(copy)
end

return M
