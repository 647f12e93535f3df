-- Accepts an incoming referral and later closes it as won (spec §3.1: New -> Active/Accepted
-- -> Closed/Won), with set_status checking each move before anything is sent.
--   lua examples/accept_and_win.lua REFERRAL_ID
local referrals = require "referrals"

local client = referrals.new {
  base_url = os.getenv("REFERRALS_BASE_URL"),
  token = os.getenv("REFERRALS_TOKEN") or "local-demo-token",
}
local id = assert(arg[1], "usage: accept_and_win.lua REFERRAL_ID")

local ref = assert(client:set_status(id, "Active", "Accepted"))
print(("accepted %s: %s/%s"):format(ref.id, ref.status, ref.substatus))

-- A move the table does not allow is refused locally, without a request.
local ok, err = client:set_status(ref, "New", "Pending")
print(("moving back to New: %s (%s)"):format(tostring(ok), err and err.message or ""))

ref = assert(client:set_status(ref, "Closed", "Won", "Signed for three years"))
print(("closed %s: %s/%s, %s"):format(ref.id, ref.status, ref.substatus, ref.statusReason))
