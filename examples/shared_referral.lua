-- Creates a shared (co-sell) referral in the two steps and prints the two
-- referrals of the engagement: yours, and the connected one that invites Microsoft.
--   REFERRALS_BASE_URL=http://127.0.0.1:PORT REFERRALS_TOKEN=... lua examples/shared_referral.lua [REQUEST.json]
local referrals = require "referrals"
local cjson = require "cjson"

-- The request: a file named on the command line, or the documented one beside this script.
local here = (arg[0] or ""):match("^(.*[/\\])") or ""
local path = arg[1] or here .. "create-request.json"
local file = assert(io.open(path, "rb"))
local request = cjson.decode(file:read("*a"))
file:close()

-- Where and as whom: both must be set; nothing here defaults to the production API.
local base_url, token = os.getenv("REFERRALS_BASE_URL"), os.getenv("REFERRALS_TOKEN")
if not (base_url and token) then
  io.stderr:write("set REFERRALS_BASE_URL (the API, or the bundled server's URL) and REFERRALS_TOKEN\n")
  os.exit(2)
end
local client = referrals.new { base_url = base_url, token = token }

local mine, connected = client:create_shared(request, {
  invite = { notes = "Could Microsoft help with the Dynamics 365 rollout?",
             assistanceRequestCode = "ProofOfConceptOrDemo" },
})
if not mine then
  io.stderr:write("could not create the shared referral: ", tostring(connected), "\n")
  if connected.created then -- step 1 worked: resume step 2 later with client:connect
    io.stderr:write("step 1 created ", connected.created.id, "; resume with client:connect\n")
  end
  os.exit(1)
end

print(("engagement %s: your referral %s and the invitation %s"):format(
  mine.engagementId, mine.id, connected.id))
for _, ref in ipairs(assert(client:related(mine))) do
  local target = ref.target and ref.target[1]
  print(("  %s  %-6s %s/%s  target %s:%s  %q"):format(ref.id, ref.type, ref.status, ref.substatus,
    target and target.type or "-", target and target.id or "-", ref.name))
end
client:close()
