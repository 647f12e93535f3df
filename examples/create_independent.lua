-- Creates an independent referral (a private deal, not shared with Microsoft
-- sellers, no target) and prints what the service filled in.
local referrals = require "referrals"

-- Where and as whom: both must be set; nothing here defaults to the production API.
local base_url, token = os.getenv("REFERRALS_BASE_URL"), os.getenv("REFERRALS_TOKEN")
if not (base_url and token) then
  io.stderr:write("set REFERRALS_BASE_URL (the API, or the bundled server's URL) and REFERRALS_TOKEN\n")
  os.exit(2)
end
local client = referrals.new { base_url = base_url, token = token }

local ref, err = client:create {
  name = "Fabrikam data platform",
  type = referrals.Type.Independent,
  target = {},
  customerProfile = {
    name = "Fabrikam",
    address = { city = "Lisbon", country = "PT" },
    team = { { firstName = "Ana", lastName = "Silva", email = "ana.silva@fabrikam.example" } },
  },
  consent = { consentToShareReferralWithMicrosoftSellers = false },
  details = { dealValue = 120000, currency = "EUR", closingDateTime = os.time() + 90 * 86400 },
}
if not ref then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print(("created %s (%s/%s), eTag %s"):format(ref.id, ref.status, ref.substatus, ref.eTag))
