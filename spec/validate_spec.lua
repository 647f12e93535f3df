-- referrals.validate and referrals.transition_allowed: one failing case at least for every
-- rule, asserting the error's code and field; and the cases that must pass.
local referrals = require "referrals"
local cjson = require "cjson"
local fixtures = require "fixtures"

-- A fresh, valid create request each time (the documented one, spec §1.4).
local function request()
  return cjson.decode(fixtures.read("create-request.json"))
end

local function refused(tbl, mode)
  local ok, err = referrals.validate(tbl, mode)
  assert.is_nil(ok)
  assert.equal("validation", err.category)
  return err
end

describe("validate", function()
  it("accepts the documented create request, and a minimal one", function()
    assert.is_true(referrals.validate(request()))
    assert.is_true(referrals.validate({ type = "Independent", customerProfile = {}, consent = {},
      details = {} }))
  end)

  it("accepts what the service sends, in update mode", function()
    assert.is_true(referrals.validate(referrals.decode(fixtures.read("create-response.json")), "update"))
    assert.is_true(referrals.validate(referrals.decode(fixtures.read("real-shaped-response.json")), "update"))
  end)

  for _, key in ipairs({ "type", "customerProfile", "consent", "details" }) do
    it("requires " .. key .. " on create", function()
      local ref = request()
      ref[key] = nil
      local err = refused(ref)
      assert.equal("required", err.code)
      assert.equal(key, err.field)
      ref[key] = referrals.null
      assert.equal("required", refused(ref).code)
      assert.is_true(referrals.validate(ref, "update"))
    end)
  end

  it("checks every type, with the field's path", function()
    local ref = request()
    ref.customerProfile.team[2].email = 5
    local err = refused(ref)
    assert.equal("type", err.code)
    assert.equal("customerProfile.team[2].email", err.field)
    assert.equal("customerProfile.team[2].email: expected string, got number", err.message)

    ref = request()
    ref.details.dealValue = "10000" -- the docs' PATCH sample's mistake (spec §6.10)
    err = refused(ref)
    assert.same({ "type", "details.dealValue" }, { err.code, err.field })

    ref = request()
    ref.consent.consentToContact = "yes"
    assert.same({ "type", "consent.consentToContact" }, { refused(ref).code, refused(ref).field })
  end)

  it("wants arrays where the resource has arrays (spec §6.2: target and ids)", function()
    local ref = request()
    ref.target = { type = "SolutionProfile", id = "SOL-1" }
    local err = refused(ref)
    assert.same({ "type", "target" }, { err.code, err.field })
    ref = request()
    ref.customerProfile.ids = "795986822"
    assert.same({ "type", "customerProfile.ids" }, { refused(ref).code, refused(ref).field })
  end)

  it("checks enum values, case-exact, and lists the allowed ones", function()
    local ref = request()
    ref.status = "active"
    local err = refused(ref)
    assert.equal("enum", err.code)
    assert.equal("status", err.field)
    assert.matches("None, New, Active, Closed", err.message, 1, true)

    ref = request()
    ref.target[1].type = "Solution"
    assert.same({ "enum", "target[1].type" }, { refused(ref).code, refused(ref).field })
    ref = request()
    ref.customerProfile.size = "huge"
    assert.same({ "enum", "customerProfile.size" }, { refused(ref).code, refused(ref).field })
    ref = request()
    ref.details.requirements.solutions[1].type = "category"
    assert.same({ "enum", "details.requirements.solutions[1].type" },
      { refused(ref).code, refused(ref).field })
  end)

  it("checks that status and substatus go together", function()
    local ref = request()
    ref.status, ref.substatus = "Active", "Won"
    local err = refused(ref)
    assert.equal("status_pair", err.code)
    assert.matches("Accepted", err.message, 1, true)
    ref.status, ref.substatus = "Closed", "Won"
    assert.is_true(referrals.validate(ref))
  end)

  it("refuses read-only members on create and says the server sets them", function()
    for _, key in ipairs({ "id", "eTag", "createdDateTime", "organizationId", "direction" }) do
      local ref = request()
      ref[key] = key == "direction" and "Outgoing" or "2019-02-23T02:05:23.2931817Z"
      local err = refused(ref)
      assert.equal("read_only", err.code)
      assert.equal(key, err.field)
      assert.matches("set by the server", err.message, 1, true)
    end
    local ref = request()
    ref.links = { self = { uri = "https://x", method = "GET" } }
    assert.same({ "read_only", "links" }, { refused(ref).code, refused(ref).field })
    ref = request()
    ref.customerProfile.team[1].emailValidationStatus = "Valid"
    assert.same({ "read_only", "customerProfile.team[1].emailValidationStatus" },
      { refused(ref).code, refused(ref).field })
  end)

  it("allows engagementId on create: the connected half of a shared referral", function()
    local ref = request()
    ref.engagementId = "37ef26aa-1d15-4533-9f93-a69bd33ab1e5"
    assert.is_true(referrals.validate(ref))
  end)

  local mistakes = {
    { "ReferralType", nil, "type" },
    { "Substatus", nil, "substatus" },
    { "closeDate", nil, "details.closingDateTime" },
    { "consentToShareInfoWithOthers", "consent", "consentToToShareInfoWithOthers" },
    { "emailAddress", "member", "email" },
  }
  for _, m in ipairs(mistakes) do
    local key, where, meant = m[1], m[2], m[3]
    it("names the unknown key " .. key .. " and suggests " .. meant .. "", function()
      local ref = request()
      local path
      if where == "consent" then
        ref.consent[key] = true
        path = "consent"
      elseif where == "member" then
        ref.customerProfile.team[1][key] = "sue@contoso.com"
        path = "customerProfile.team[1]"
      else
        ref[key] = "Shared"
        path = nil
      end
      local err = refused(ref)
      assert.equal("unknown_key", err.code)
      -- the key is the caller's text: in err.value, never in the message (issue 13)
      assert.equal(path, err.field)
      assert.equal(key, err.value)
      assert.is_nil(err.message:find(key, 1, true))
      assert.matches('did you mean "' .. meant .. '"', err.message, 1, true)
    end)
  end

  it("names an unknown key with no near key, and keeps unknown keys in update mode", function()
    local ref = request()
    ref.somethingElse = 1
    local err = refused(ref)
    assert.equal("unknown_key", err.code)
    assert.equal("somethingElse", err.value)
    assert.is_nil(err.message:find("did you mean", 1, true))
    assert.is_true(referrals.validate(ref, "update"))
  end)

  it("checks datetimes: ISO-8601 UTC with up to 7 fractional digits", function()
    local ref = request()
    for _, good in ipairs({ "2018-11-14T00:00:00Z", "2019-02-23T02:05:23.2931817Z", "2020-02-29T23:59:59.5Z" }) do
      ref.details.closingDateTime = good
      assert.is_true(referrals.validate(ref), good)
    end
    for _, bad in ipairs({ "2018-11-14", "2019-02-23T02:05:23.29318170Z", "2018-11-14T00:00:00+01:00",
      "2019-02-30T00:00:00Z", "2018-11-14t00:00:00z", "" }) do
      ref.details.closingDateTime = bad
      local err = refused(ref)
      assert.same({ "datetime", "details.closingDateTime" }, { err.code, err.field }, bad)
    end
  end)

  it("takes a Lua number for a datetime as epoch seconds", function()
    local ref = request()
    ref.details.closingDateTime = 1542153600
    assert.is_true(referrals.validate(ref))
    local json = assert(referrals.encode_valid(ref))
    assert.equal("2018-11-14T00:00:00Z", cjson.decode(json).details.closingDateTime)
  end)

  it("wants strings in valid UTF-8", function()
    local ref = request()
    ref.customerProfile.name = "Contoso \192\128" -- an overlong encoding
    local err = refused(ref)
    assert.same({ "utf8", "customerProfile.name" }, { err.code, err.field })
    ref = request()
    ref.customerProfile.name = "Vicente López 日本"
    assert.is_true(referrals.validate(ref))
  end)

  it("wants finite numbers", function()
    local ref = request()
    ref.details.dealValue = math.huge
    assert.same({ "number", "details.dealValue" }, { refused(ref).code, refused(ref).field })
  end)

  it("raises on wrong argument types", function()
    assert.has_error(function() referrals.validate("x") end)
    assert.has_error(function() referrals.validate(request(), "replace") end)
  end)
end)

describe("transition_allowed", function()
  local allowed = {
    { "New", "Active", "Accepted" }, { "New", "Closed", "Declined" }, { "New", "New", "Received" },
    { "Active", "Closed", "Won" }, { "Active", "Closed", "Lost" }, { "Active", "Active", "Accepted" },
    { "Closed", "Closed", "Won" },
  }
  for _, t in ipairs(allowed) do
    it("allows " .. table.concat(t, " -> "), function()
      assert.is_true(referrals.transition_allowed(t[1], t[2], t[3]))
    end)
  end

  local refused_moves = {
    { "Closed", "Active", "Accepted" }, { "Active", "New", "Pending" }, { "Closed", "New", "Pending" },
    { "New", "Active", "Won" }, { "Active", "Closed", "Accepted" },
  }
  for _, t in ipairs(refused_moves) do
    it("refuses " .. table.concat(t, " -> ") .. " with a reason", function()
      local ok, reason = referrals.transition_allowed(t[1], t[2], t[3])
      assert.is_false(ok)
      assert.is_string(reason)
      assert.matches("^status %a+ ", reason)
      assert.not_matches("spec §", reason, 1, true)
    end)
  end

  it("raises on wrong argument types", function()
    assert.has_error(function() referrals.transition_allowed(nil, "Active") end)
  end)
end)
