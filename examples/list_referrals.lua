-- Lists referrals: one page with a filter, then every page with client:each. A failure while
-- paging raises, so a sync job never mistakes an outage for the end of the list.
local referrals = require "referrals"

-- Where and as whom: both must be set; nothing here defaults to the production API.
local base_url, token = os.getenv("REFERRALS_BASE_URL"), os.getenv("REFERRALS_TOKEN")
if not (base_url and token) then
  io.stderr:write("set REFERRALS_BASE_URL (the API, or the bundled server's URL) and REFERRALS_TOKEN\n")
  os.exit(2)
end
local client = referrals.new { base_url = base_url, token = token }

local page = assert(client:list { filter = { status = "Active" }, top = 5, count = true })
print(("first page: %d of %s active referrals"):format(#page.value, tostring(page.count)))

local n = 0
for ref in client:each { filter = "status eq 'Active'", orderby = "createdDateTime desc" } do
  n = n + 1
  print(("%3d  %s  %s"):format(n, ref.id, ref.name))
end
print(("%d referrals in all"):format(n))
