-- Every example of examples/ runs against the bundled server, so none goes stale: the Lua
-- scripts under the Lua that runs this spec, the C example and the embedding host from the
-- build tree. Each check reads what the example printed and what the server now holds.
local helper = require "helper"
local cjson = require "cjson"

local quote = helper.quote

local function read_all(command)
  local p = assert(io.popen(command .. " 2>&1; echo \"exit=$?\""))
  local out = p:read("*a")
  p:close()
  local text, status = out:match("^(.*)exit=(%d+)%s*$")
  return text, tonumber(status)
end

local build_dir = (os.getenv("REFERRALS_FAKE_SERVER") or "build/lua5.4/x"):match("^(.*)/[^/]*$")

describe("examples", function()
  local server

  setup(function() server = helper.start() end)
  teardown(function() server.stop() end)
  before_each(function() server.reset() end)

  local function run(script, ...)
    local command = "LUA_PATH=" .. quote(package.path) .. " LUA_CPATH=" .. quote(package.cpath) ..
      " REFERRALS_BASE_URL=" .. quote(server.base_url) ..
      " REFERRALS_TOKEN=example-token " .. quote(helper.interpreter()) .. " examples/" .. script
    for _, a in ipairs({ ... }) do command = command .. " " .. quote(a) end
    return read_all(command)
  end

  local function seed(ref)
    return server.control("POST", "referrals", cjson.encode(ref))
  end

  local incoming = {
    name = "Incoming from Microsoft", type = "Shared", status = "New", substatus = "Pending",
    direction = "Incoming", customerProfile = { name = "Tailspin" }, consent = {},
    details = { dealValue = 5000, currency = "USD" }, eTag = '"seeded-1"',
  }

  it("shared_referral.lua creates both halves of one engagement", function()
    local out, status = run("shared_referral.lua")
    assert.equal(0, status, out)
    local stored = server.referrals()
    assert.equal(2, #stored)
    assert.equal(stored[1].engagementId, stored[2].engagementId)
    assert.same({ { type = "BusinessProfileLocation", id = "msft" } }, stored[2].target)
    assert.equal("ProofOfConceptOrDemo", stored[2].inviteContext.assistanceRequestCode)
    assert.truthy(out:find("engagement " .. stored[1].engagementId, 1, true), out)
    assert.truthy(out:find("target BusinessProfileLocation:msft", 1, true), out)
    assert.truthy(out:find("target SolutionProfile:SOL-34104-EBB", 1, true), out)
  end)

  it("every Lua example says what to set and exits 2 without a base URL and a token", function()
    local p = assert(io.popen("ls examples/*.lua"))
    local n = 0
    for script in p:lines() do
      for _, env in ipairs { "", "REFERRALS_BASE_URL=" .. quote(server.base_url), "REFERRALS_TOKEN=t" } do
        local out, status = read_all("env -u REFERRALS_BASE_URL -u REFERRALS_TOKEN " .. env ..
          " LUA_PATH=" .. quote(package.path) .. " LUA_CPATH=" .. quote(package.cpath) .. " " ..
          quote(helper.interpreter()) .. " " .. script)
        assert.equal(2, status, script .. ": " .. out)
        assert.truthy(out:find("set REFERRALS_BASE_URL", 1, true), out)
      end
      n = n + 1
    end
    p:close()
    assert.is_true(n >= 5)
    assert.equal(0, #server.requests())
  end)

  it("create_independent.lua creates a private deal", function()
    local out, status = run("create_independent.lua")
    assert.equal(0, status, out)
    local stored = server.referrals()
    assert.equal(1, #stored)
    assert.equal("Independent", stored[1].type)
    assert.is_false(stored[1].consent.consentToShareReferralWithMicrosoftSellers)
    assert.same({}, stored[1].target)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$", stored[1].details.closingDateTime)
    assert.truthy(out:find("created " .. stored[1].id .. " (Active/Accepted)", 1, true), out)
  end)

  it("list_referrals.lua reads a filtered page and then every page", function()
    for i = 1, 3 do
      seed({ name = "Active " .. i, type = "Independent", status = "Active", substatus = "Accepted",
        customerProfile = {}, consent = {}, details = {} })
    end
    seed({ name = "Closed one", type = "Independent", status = "Closed", substatus = "Won",
      customerProfile = {}, consent = {}, details = {} })
    local out, status = run("list_referrals.lua")
    assert.equal(0, status, out)
    assert.truthy(out:find("first page: 3 of 3 active referrals", 1, true), out)
    assert.truthy(out:find("3 referrals in all", 1, true), out)
    assert.is_nil(out:find("Closed one", 1, true))
  end)

  it("accept_and_win.lua accepts, is refused a move back, and wins", function()
    local seeded = seed(incoming)
    local out, status = run("accept_and_win.lua", seeded.id)
    assert.equal(0, status, out)
    local stored = server.referrals()[1]
    assert.same({ "Closed", "Won", "Signed for three years" },
      { stored.status, stored.substatus, stored.statusReason })
    assert.truthy(out:find("moving back to New: nil", 1, true), out)
    local patches = 0
    for _, r in ipairs(server.requests()) do
      if r.method == "PATCH" then patches = patches + 1 end
    end
    assert.equal(2, patches) -- the refused move sent nothing
  end)

  it("update_with_etag.lua meets a 412 and retries with a fresh eTag", function()
    local seeded = seed(incoming)
    local out, status = run("update_with_etag.lua", seeded.id)
    assert.equal(0, status, out)
    assert.truthy(out:find("412 preconditionFailed", 1, true), out)
    local stored = server.referrals()[1]
    assert.equal(75000, stored.details.dealValue)
    assert.equal("Changed elsewhere", stored.details.notes)
  end)

  it("the C example builds and validates a referral without Lua", function()
    local out, status = read_all(quote(build_dir .. "/example-create"))
    assert.equal(0, status, out)
    local body = cjson.decode(out:match("^(%b{})"))
    assert.same({ "Independent", "Contoso supply chain", 50000 },
      { body.type, body.name, body.details.dealValue })
    assert.truthy(out:find("refused: substatus: status Active does not allow substatus Won", 1, true), out)
  end)

  it("the embedding host preloads the module and runs a script", function()
    local out, status = read_all(quote(build_dir .. "/referrals-host") .. " lua examples/host/sync.lua")
    assert.equal(0, status, out)
    assert.truthy(out:find('1\tok\t{"type":"Independent"', 1, true), out)
    assert.truthy(out:find('2\trefused\tvalidation error (unknown_key): unknown key in a Referral; ' ..
      'did you mean "type"?', 1, true), out)
  end)
end)
