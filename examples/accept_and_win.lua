-- Accepts an incoming referral and later closes it as won (New -> Active/Accepted
-- -> Closed/Won), with set_status checking each move before anything is sent.
--   lua examples/accept_and_win.lua REFERRAL_ID
local referrals = require "referrals"

-- Where and as whom: both must be set; nothing here defaults to the production API.
local base_url, token = os.getenv("REFERRALS_BASE_URL"), os.getenv("REFERRALS_TOKEN")
if not (base_url and token) then
  io.stderr:write("set REFERRALS_BASE_URL (the API, or the bundled server's URL) and REFERRALS_TOKEN\n")
  os.exit(2)
end
local client = referrals.new { base_url = base_url, token = token }
local id = assert(arg[1], "usage: accept_and_win.lua REFERRAL_ID")

local ref = assert(client:set_status(id, "Active", "Accepted"))
print(("accepted %s: %s/%s"):format(ref.id, ref.status, ref.substatus))

-- A move the table does not allow is refused locally, without a request.
local ok, err = client:set_status(ref, "New", "Pending")
print(("moving back to New: %s (%s)"):format(tostring(ok), err and err.message or ""))

ref = assert(client:set_status(ref, "Closed", "Won", "Signed for three years"))
print(("closed %s: %s/%s, %s"):format(ref.id, ref.status, ref.substatus, ref.statusReason))
