--- referrals.webhooks: registers a webhook with Partner Center, so that it POSTs signed events
-- (`referral-created`, `referral-updated`, ...) to a receiver, and sends test events.
-- The registration API is Partner Center's, on `https://api.partnercenter.microsoft.com`, and
-- its tokens have that audience (`referrals.auth.WEBHOOK_RESOURCE`), not the referrals API's.
-- Requests go through the same C client as the referrals API's: token function, retries,
-- Retry-After, deadline and log work the same. The wire is PascalCase
-- (`WebhookUrl`, `WebhookEvents`, `SignatureTokenToMsSignatureHeader`); answers are read in any
-- case and returned with the names below.
--
--   local hooks = referrals.webhooks.new { token = token_function }
--   local reg, err = hooks:register { url = "https://example.com/hook",
--     events = { "referral-created", "referral-updated", "test-created" } }
-- @module referrals.webhooks
local core = require "referrals.core"

-- The request primitive: private to this module. Taken off the C module's table when this
-- file loads (referrals/init.lua loads it before it copies the C module's functions).
local json_request = core.json_request
core.json_request = nil
assert(json_request, "referrals.webhooks: load it through require, once")

local M = {}

--- The registration API's base URL.
M.BASE_URL = "https://api.partnercenter.microsoft.com"
--- The audience of its tokens.
M.RESOURCE = "https://api.partnercenter.microsoft.com"

local PATH = "/webhooks/v1/registration"

local Webhooks = {}
Webhooks.__index = Webhooks

local function argument_error(method, fmt, ...)
  error(("bad argument #1 to '%s' (%s)"):format(method, fmt:format(...)), 3)
end

local function shape_error(what)
  return core.error { category = "json", code = "shape",
    message = "the registration API's answer is not " .. what }
end

-- The member of an answer by name in any case (the service binds names case-insensitively,
-- and its documents write both PascalCase and camelCase).
local function member(t, name)
  if t[name] ~= nil then return t[name] end
  local lower = name:lower()
  for k, v in pairs(t) do
    if type(k) == "string" and k:lower() == lower then return v end
  end
end

local function string_list(v)
  if type(v) ~= "table" then return nil end
  local out = {}
  for i = 1, #v do
    if type(v[i]) ~= "string" then return nil end
    out[i] = v[i]
  end
  return out
end

-- A registration answer -> { subscriber_id, url, events, signature_header }.
local function registration(answer)
  if type(answer) ~= "table" then return nil, shape_error("a registration object") end
  local url, events = member(answer, "WebhookUrl"), string_list(member(answer, "WebhookEvents"))
  if type(url) ~= "string" or not events then
    return nil, shape_error("a registration (WebhookUrl and WebhookEvents)")
  end
  local id, header = member(answer, "SubscriberId"), member(answer, "SignatureTokenToMsSignatureHeader")
  return { subscriber_id = type(id) == "string" and id or nil, url = url, events = events,
    signature_header = header == true }
end

--- A client of the webhook registration API.
-- @tparam table opts as for `referrals.new` (`token`, a string or a token function for the
--   audience `https://api.partnercenter.microsoft.com`, required; `timeout`, `retries`,
--   `retry_delay`, `max_retry_delay`, `deadline`, `log`, `ca_file`, `proxy`...), with
--   `base_url` defaulting to `https://api.partnercenter.microsoft.com` (an `http://` one is for
--   a local test server, such as the bundled one)
-- @treturn Webhooks
function M.new(opts)
  if type(opts) ~= "table" then
    error(("bad argument #1 to 'new' (table expected, got %s)"):format(type(opts)), 2)
  end
  if opts.extra ~= nil then
    error("bad argument #1 to 'new' (option 'extra': referrals only, not for webhooks)", 2)
  end
  local settings = {}
  for k, v in pairs(opts) do settings[k] = v end
  settings.base_url = settings.base_url or M.BASE_URL
  local ok, client = pcall(core.new, settings)
  if not ok then error((tostring(client):gsub("'referrals%.core%.new'", "'new'")), 2) end
  return setmetatable({ client = client, base_url = settings.base_url }, Webhooks)
end

--- A client of the registration API, from referrals.webhooks.new. Every method returns
-- `nil, err` on a failure (`err.category`: `api` with `err.status` for an answer such as 409
-- "a registration exists" or 429 "too many test events", `transport`, `auth`, `json`...);
-- wrong argument types raise.
-- @type Webhooks

-- The body of register and update from the caller's table (checked; raises on a wrong type).
local function body_of(method, spec)
  if type(spec) ~= "table" then argument_error(method, "table expected, got %s", type(spec)) end
  for k in pairs(spec) do
    if k ~= "url" and k ~= "events" and k ~= "signature_header" then
      argument_error(method, "unknown key '%s' (url, events, signature_header)", tostring(k))
    end
  end
  if spec.url ~= nil and (type(spec.url) ~= "string" or spec.url == "") then
    argument_error(method, "url: non-empty string expected, got %s", type(spec.url))
  end
  if spec.events ~= nil then
    local events = string_list(spec.events)
    if not events or #events == 0 then
      argument_error(method, "events: non-empty list of event names expected")
    end
  end
  if spec.signature_header ~= nil and type(spec.signature_header) ~= "boolean" then
    argument_error(method, "signature_header: boolean expected, got %s", type(spec.signature_header))
  end
  return { WebhookUrl = spec.url, WebhookEvents = string_list(spec.events),
    SignatureTokenToMsSignatureHeader = spec.signature_header == true }
end

local function call(self, method, path, body)
  return json_request(self.client, method, PATH .. path, body)
end

--- Registers the webhook (POST): Partner Center POSTs the events named to url from now on.
-- There is one registration per partner: a second register fails (status 409 on the bundled
-- server; use update).
-- @tparam table spec `url` (the receiver: https, required), `events` (list of event names,
--   required: `referral-created`, `referral-updated`, `related-referral-created`,
--   `related-referral-updated`, `test-created`), `signature_header` (true: the signature comes
--   in the `x-ms-signature` header instead of `Authorization`; default false)
-- @treturn table the registration: `subscriber_id`, `url`, `events`, `signature_header`
-- @return[2] nil
-- @treturn[2] Error err
function Webhooks:register(spec)
  local body = body_of("register", spec)
  if not body.WebhookUrl then argument_error("register", "url: required") end
  if not body.WebhookEvents then argument_error("register", "events: required") end
  local answer, err = call(self, "POST", "", body)
  if not answer then return nil, err end
  return registration(answer)
end

--- The registration (GET).
-- @treturn table the registration: `subscriber_id`, `url`, `events`, `signature_header`
-- @return[2] nil
-- @treturn[2] Error err (status 404 when there is none)
function Webhooks:get()
  local answer, err = call(self, "GET", "")
  if not answer then return nil, err end
  return registration(answer)
end

--- Changes the registration (PUT, which replaces it whole). Members left out of spec keep
-- their current values, read with one GET first.
-- @tparam table spec `url`, `events`, `signature_header`, as for register, each optional
-- @treturn table the registration: `subscriber_id`, `url`, `events`, `signature_header`
-- @return[2] nil
-- @treturn[2] Error err
function Webhooks:update(spec)
  local body = body_of("update", spec)
  if spec.url == nil or spec.events == nil or spec.signature_header == nil then
    local current, err = self:get()
    if not current then return nil, err end
    body.WebhookUrl = body.WebhookUrl or current.url
    body.WebhookEvents = body.WebhookEvents or current.events
    if spec.signature_header == nil then
      body.SignatureTokenToMsSignatureHeader = current.signature_header
    end
  end
  local answer, err = call(self, "PUT", "", body)
  if not answer then return nil, err end
  return registration(answer)
end

--- The names of the events one may register for.
-- @treturn {string,...} the names, as the service lists them
-- @return[2] nil
-- @treturn[2] Error err
function Webhooks:event_names()
  local answer, err = call(self, "GET", "/events")
  if not answer then return nil, err end
  local names = string_list(answer)
  if not names then return nil, shape_error("a list of event names") end
  return names
end

--- Asks Partner Center to send a `test-created` event to the registered URL (the
-- registration must list `test-created`). The service allows two a minute: a third fails with
-- status 429 (`err.retry_after` says when to try again; the client waits and tries again itself
-- when `retries` and `max_retry_delay` allow).
-- @treturn string the correlation id, for test_status
-- @return[2] nil
-- @treturn[2] Error err
function Webhooks:test()
  local answer, err = call(self, "POST", "/validationEvents")
  if not answer then return nil, err end
  local id = type(answer) == "table" and member(answer, "correlationId")
  if type(id) ~= "string" then return nil, shape_error("an object with a correlationId") end
  return id
end

local function attempt(result)
  if type(result) ~= "table" then return nil end
  local code, message = member(result, "responseCode"), member(result, "responseMessage")
  local when = member(result, "dateTimeUtc")
  return { response_code = type(code) == "string" and code or nil,
    response_message = type(message) == "string" and message or nil,
    system_error = member(result, "systemError") == true,
    time = type(when) == "string" and when or nil }
end

--- The delivery of a test event.
-- @string correlation_id what test returned
-- @treturn table `correlation_id`, `partner_id`, `status` (the service's word, e.g.
--   `"completed"`), `callback_url`, and `attempts`: one table per delivery attempt,
--   `{ response_code = "OK", response_message = "", system_error = false, time = "<UTC>" }`
-- @return[2] nil
-- @treturn[2] Error err (category `validation`, code `id`, for an id that is not one, and
--   nothing is sent)
function Webhooks:test_status(correlation_id)
  if type(correlation_id) ~= "string" then
    error(("bad argument #1 to 'test_status' (string expected, got %s)"):format(
      type(correlation_id)), 2)
  end
  if not correlation_id:find("^[%w%-]+$") or #correlation_id > 128 then
    return nil, core.error { category = "validation", code = "id", field = "correlation_id",
      message = "correlation_id: not a correlation id (letters, digits and '-' expected)" }
  end
  local answer, err = call(self, "GET", "/validationEvents/" .. correlation_id)
  if not answer then return nil, err end
  if type(answer) ~= "table" then return nil, shape_error("a test event's status") end
  local attempts = {}
  local results = member(answer, "results")
  for i, r in ipairs(type(results) == "table" and results or {}) do attempts[i] = attempt(r) end
  local function text(name)
    local v = member(answer, name)
    return type(v) == "string" and v or nil
  end
  return { correlation_id = text("correlationId"), partner_id = text("partnerId"),
    status = text("status"), callback_url = text("callbackUrl"), attempts = attempts }
end

--- Closes the connection now (also done when the object is collected).
-- @treturn boolean true
function Webhooks:close()
  return self.client:close()
end

function Webhooks:__tostring()
  return "referrals.webhooks (" .. self.base_url .. ")"
end

return M
