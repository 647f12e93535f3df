-- Updates a referral with If-Match: when somebody else changed it first, the
-- service answers 412; read it again, apply the change again, and retry.
--   lua examples/update_with_etag.lua REFERRAL_ID
local referrals = require "referrals"

-- Where and as whom: both must be set; nothing here defaults to the production API.
local base_url, token = os.getenv("REFERRALS_BASE_URL"), os.getenv("REFERRALS_TOKEN")
if not (base_url and token) then
  io.stderr:write("set REFERRALS_BASE_URL (the API, or the bundled server's URL) and REFERRALS_TOKEN\n")
  os.exit(2)
end
local client = referrals.new { base_url = base_url, token = token }
local id = assert(arg[1], "usage: update_with_etag.lua REFERRAL_ID")

local ref = assert(client:get(id))
local stale = ref.eTag
-- Somebody else changes it in between (here: we do, to show the 412).
assert(client:update(ref, { ["details.notes"] = "Changed elsewhere" }))

local updated, err = client:update(id, { ["details.dealValue"] = 75000 }, { etag = stale })
if not updated and err.status == 412 then
  print(("412 %s: read it again and retry"):format(err.code))
  ref = assert(client:get(id))
  updated, err = client:update(ref, { ["details.dealValue"] = 75000 })
end
assert(updated, err)
print(("dealValue is now %s, eTag %s"):format(tostring(updated.details.dealValue), updated.eTag))
