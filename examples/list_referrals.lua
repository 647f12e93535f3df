-- Lists referrals: one page with a filter, then every page with client:each. A failure while
-- paging raises, so a sync job never mistakes an outage for the end of the list.
local referrals = require "referrals"

local client = referrals.new {
  base_url = os.getenv("REFERRALS_BASE_URL"),
  token = os.getenv("REFERRALS_TOKEN") or "local-demo-token",
}

local page = assert(client:list { filter = { status = "Active" }, top = 5, count = true })
print(("first page: %d of %s active referrals"):format(#page.value, tostring(page.count)))

local n = 0
for ref in client:each { filter = "status eq 'Active'", orderby = "createdDateTime desc" } do
  n = n + 1
  print(("%3d  %s  %s"):format(n, ref.id, ref.name))
end
print(("%d referrals in all"):format(n))
