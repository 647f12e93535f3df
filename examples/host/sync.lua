-- The automation script the embedding host runs: checks a batch of referrals exported from a
-- CRM before anything is sent, and prints one line per record.
local referrals = require "referrals"

local crm_export = {
  { type = "Independent", customerProfile = { name = "Fabrikam" },
    consent = { consentToShareReferralWithMicrosoftSellers = false },
    details = { dealValue = 12000, currency = "EUR", closingDateTime = 1767225600 } },
  -- A mistake real integrations make: a PascalCase key the API does not know.
  { ReferralType = "Independent", customerProfile = { name = "Northwind" }, consent = {},
    details = {} },
}

for i, record in ipairs(crm_export) do
  local ok, err = referrals.validate(record)
  if ok then
    print(i, "ok", referrals.encode(record))
  else
    print(i, "refused", tostring(err))
  end
end
