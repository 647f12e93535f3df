--- referrals: Microsoft Partner Center Referrals (co-sell) API client.
-- The facade of the module: the C core (referrals.core) does the marshaling and the HTTP;
-- this file re-exports it and adds the helpers written in Lua.
-- @module referrals
local core = require "referrals.core"
require "referrals.client" -- adds each, related, set_status, connect, create_shared to clients

local M = {}
for k, v in pairs(core) do M[k] = v end
M.post_form = nil -- the token request primitive of referrals.auth, not an API of its own
M.auth = require "referrals.auth" -- token functions: refresh_token, password (spec §4)

return M
