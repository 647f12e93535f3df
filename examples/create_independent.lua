-- Creates an independent referral (a private deal, spec §1.4: not shared with Microsoft
-- sellers, no target) and prints what the service filled in.
local referrals = require "referrals"

local client = referrals.new {
  base_url = os.getenv("REFERRALS_BASE_URL"),
  token = os.getenv("REFERRALS_TOKEN") or "local-demo-token",
}

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
