--- referrals: Microsoft Partner Center Referrals (co-sell) API client.
-- The facade of the module: the C core (referrals.core) does the marshaling and the HTTP;
-- this file re-exports it and adds the helpers written in Lua.
-- @module referrals
local core = require "referrals.core"
local auth = require "referrals.auth" -- first: it takes the token request off core
local webhooks = require "referrals.webhooks" -- so does this, the JSON request
local helpers = require "referrals.client" -- adds each, related, set_status, connect,
                                           -- create_shared to clients
require "referrals.sync" -- adds sync (its plans have apply)
require "referrals.changes" -- adds changes, event_referral

local M = {}
for k, v in pairs(core) do M[k] = v end
M.auth = auth -- token functions: refresh_token, password, device_code, cache

local error_mt = getmetatable(core.error { category = "validation", message = "" })

--- Whether x is an error object of this module (the `err` of `nil, err`).
-- @param x any value
-- @treturn boolean
function M.is_error(x)
  return type(x) == "table" and getmetatable(x) == error_mt
end

--- A copy of a referral without the members the service sets (`id`, `eTag`, `links`,
-- `createdDateTime`... at every level: the schema's read-only members) and without members
-- the schema does not know, so that `client:create(referrals.writable(client:get(id)))`
-- makes a new referral from an existing one.
-- @tparam table ref a referral
-- @treturn table a fresh table; ref is not changed
function M.writable(ref)
  if type(ref) ~= "table" then
    error(("bad argument #1 to 'writable' (table expected, got %s)"):format(type(ref)), 2)
  end
  return helpers.writable(ref)
end
M.webhook_verifier = nil -- the C half of referrals.webhook.verifier
M.webhook = require "referrals.webhook" -- verifier of the signed events (issue 14)
M.webhooks = webhooks -- the webhook registration API (issue 14)

return M
