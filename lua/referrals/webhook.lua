--- referrals.webhook: verifies the signed events Partner Center POSTs to a webhook receiver.
-- The checks (certificate URL, fetch, chain, organization, signature) are the C core's
-- (include/referrals_webhook.h); this file adds the event's referral id.
-- @module referrals.webhook
local core = require "referrals.core"

local M = {}

local Verifier = {}
Verifier.__index = Verifier

--- The referral id an event names: the last path segment of its ResourceUri, when the event
-- is about a referral. The host and path of ResourceUri are never used for a request.
local function referral_id(event)
  local uri = event.ResourceUri
  if type(uri) ~= "string" then return nil end
  local name = event.ResourceName
  if name ~= nil and name ~= "referral" then return nil end
  local id = uri:match("/referrals/([%w%-]+)/?$")
  return id
end

--- A verifier.
-- @tparam[opt] table opts `certificate_hosts` (list of `host` or `host:port`; default
--   `{ "3psostorageacct.blob.core.windows.net" }`), `ca_file` (PEM bundle for the fetch and the
--   chain; default the system store), `issuer_organization` (default `"Microsoft Corporation"`),
--   `timeout` (seconds, default 5), `max_certificate_size` (bytes, default 65536),
--   `max_body_size` (bytes, default 1 MiB)
-- @treturn Verifier
function M.verifier(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("referrals.webhook.verifier: opts must be a table", 2)
  end
  return setmetatable({ core = core.webhook_verifier(opts) }, Verifier)
end

--- A verifier, from referrals.webhook.verifier; it keeps the certificates it fetched.
-- @type Verifier

--- Verifies one request.
-- @tparam table request `body` (the raw body, a string) and `headers` (name -> value, names in
--   any case)
-- @treturn table the event as on the wire, plus `referralId` (nil when it names no referral);
--   or nil and an error with category `"webhook"` and code `missing_header`, `algorithm`,
--   `certificate_url`, `certificate_fetch`, `certificate_chain`, `certificate_issuer`,
--   `certificate_expired`, `signature` or `json`
function Verifier:verify(request)
  if type(request) ~= "table" then error("verify: request must be a table", 2) end
  local event, err = self.core:verify_signature(request)
  if not event then return nil, err end
  event.referralId = referral_id(event)
  return event
end

--- Certificate downloads made so far (one per URL while its certificate is valid).
-- @treturn number
function Verifier:fetch_count()
  return self.core:fetch_count()
end

return M
