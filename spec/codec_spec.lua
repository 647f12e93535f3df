-- referrals.decode / referrals.encode against the documented and the real-shaped payloads,
-- checked with lua-cjson as an independent reader.
local referrals = require "referrals"
local cjson = require "cjson"
local fixtures = require "fixtures"

-- The documented create request (spec §1.4), written out as a script would build it.
local function documented_request()
  local member = function(first, last, phone, email)
    return {
      contactPreference = { locale = "en-us", disableNotifications = false },
      firstName = first, lastName = last, phoneNumber = phone, email = email,
    }
  end
  return {
    name = "Test Cosell Invite_20",
    status = "New",
    substatus = "Pending",
    statusReason = "Customer engagement was a success!",
    qualification = "SalesQualified",
    type = "Shared",
    target = { { type = "SolutionProfile", id = "SOL-34104-EBB" } },
    customerProfile = {
      name = "Contoso Customer Inc",
      address = {
        addressLine1 = "One Microsoft Way", addressLine2 = "34", city = "Redmond",
        state = "WA", postalCode = "98052", country = "US",
      },
      size = "10to50employees",
      team = {
        member("Sue", "Smith", "1234567890", "sue.smith@contoso.com"),
        member("Joe", "Hansen", "4035698759", "joe.hansen@contoso.com"),
      },
      ids = {},
    },
    consent = { consentToToShareInfoWithOthers = true, consentToContact = true },
    details = {
      notes = "Customer is looking to leverage Dynamics 365 to manage their supply chain. "
        .. "There is also a need to leverage a set of custom apps to enable their business processes.",
      dealValue = 50000,
      currency = "USD",
      closingDateTime = "2018-11-14T00:00:00Z",
      requirements = {
        industries = { { id = "Manufacturing" } },
        products = { { id = "Dynamics365Enterprise" } },
        services = { { id = "DeploymentOrMigration" } },
        solutions = { { name = "Dynamics 365 for Field Service", type = "Category",
                        id = "Dynamics365forFieldService" } },
      },
    },
    team = { member("John", "Doe", "1231231234", "john.doe@microsoft.com") },
    inviteContext = {
      notes = "Hi ABC Partner, hoping you can help this customer. Thanks, John @ Microsoft",
      invitedBy = { organizationId = "msft" },
    },
  }
end

describe("decode", function()
  it("reads the documented create response member for member", function()
    local text = fixtures.read("create-response.json")
    local ref = assert(referrals.decode(text))
    assert.same(cjson.decode(text), ref)
    assert.equal("4111fffc-f9ee-4d53-bba6-569135228642", ref.id)
    assert.equal('"00006d10-0000-0000-0000-5c70aa630000"', ref.eTag)
    assert.equal(referrals.null, ref.externalReferenceId)
    assert.equal(referrals.null, ref.expirationDateTime)
    assert.equal(50000, ref.details.dealValue)
    assert.is_nil(ref.details.closingDateTime)
    assert.equal("Sue", ref.customerProfile.team[1].firstName)
    assert.is_false(ref.customerProfile.team[2].contactPreference.disableNotifications)
    assert.same({}, ref.customerProfile.ids)
    assert.equal("SOL-34104-EBB", ref.target[1].id)
    assert.equal("https://api.partner.microsoft.com/v1.0/engagments/referrals/4111fffc-f9ee-4d53-bba6-569135228642",
      ref.links.self.uri)
  end)

  it("reads the real-shaped response: nulls, empty strings, entities and undocumented members", function()
    local text = fixtures.read("real-shaped-response.json")
    local ref = assert(referrals.decode(text))
    assert.same(cjson.decode(text), ref)
    assert.equal("FABRIKAM OIL &amp; GAS S.A.U.", ref.customerProfile.name)
    assert.equal("", ref.customerProfile.size)
    assert.equal("", ref.externalReferenceId)
    assert.equal(referrals.null, ref.lastRunId)
    assert.equal(referrals.null, ref.details.incentiveLevel)
    assert.equal(false, ref.customerProfile.isMatchingComplete)
    assert.equal(referrals.null, ref.details.requirements.solutions[1].price)
    assert.equal(false, ref.details.requirements.additionalRequirements.iot.azureCertifiedDevice)
    assert.equal("1209668", ref.inviteContext.invitedMpnId)
    assert.equal(referrals.null, ref.trackingInfo.microsoftMsxId)
    assert.same({}, ref.tags)
    assert.same({}, ref.registrations)
    assert.equal("Vicente López", ref.customerProfile.address.city)
  end)

  it("keeps members the schema does not know, at every level", function()
    local ref = assert(referrals.decode(
      '{"id":"x","brandNew":{"a":[1,2.5,"s",null,true]},"customerProfile":{"nextYear":[]},'
      .. '"team":[{"firstName":"A","pronouns":"they"}]}'))
    assert.same({ a = { 1, 2.5, "s", referrals.null, true } }, ref.brandNew)
    assert.same({}, ref.customerProfile.nextYear)
    assert.equal(referrals.array_mt, getmetatable(ref.customerProfile.nextYear))
    assert.equal("they", ref.team[1].pronouns)
  end)

  it("reads a known member that arrives in an unexpected shape (spec §7.7: \"ids\": {})", function()
    local ref = assert(referrals.decode('{"customerProfile":{"ids":{}},"name":["odd"]}'))
    assert.same({}, ref.customerProfile.ids)
    assert.same({ "odd" }, ref.name)
    -- Written back, the documented shape is enforced: ids becomes [], and a name that is
    -- not a string is an error that names it rather than something silently dropped.
    local json, err = referrals.encode(ref)
    assert.is_nil(json)
    assert.equal("name", err.field)
    ref.name = "fixed"
    assert.equal('{"name":"fixed","customerProfile":{"ids":[]}}', assert(referrals.encode(ref)))
  end)

  it("keeps integers exact and numbers as numbers", function()
    local ref = assert(referrals.decode('{"details":{"dealValue":9007199254740993},"favorite":true,'
      .. '"x":{"big":123456789012345678,"f":0.1,"e":1.5e3}}'))
    if math.type then
      assert.equal(9007199254740993, ref.details.dealValue)
      assert.equal("integer", math.type(ref.details.dealValue))
      assert.equal(123456789012345678, ref.x.big)
    end
    assert.equal(0.1, ref.x.f)
    assert.equal(1500, ref.x.e)
  end)

  local function decode_error(text)
    local ref, err = referrals.decode(text)
    assert.is_nil(ref)
    assert.equal("json", err.category)
    return err
  end

  it("reports malformed JSON with a byte position", function()
    local err = decode_error('{"id": "x", "name": }')
    assert.equal("syntax", err.code)
    assert.equal(20, err.position)
    assert.matches("byte 20", tostring(err))
  end)

  it("reports truncated JSON at its end", function()
    local err = decode_error('{"id": "x", "customerProfile": {"name": "A')
    assert.equal("truncated", err.code)
    assert.equal(#'{"id": "x", "customerProfile": {"name": "A', err.position)
  end)

  it("refuses a top level that is not an object", function()
    assert.equal("json_type", decode_error("[1,2]").code)
    assert.equal("json_type", decode_error('"text"').code)
  end)

  it("refuses empty input, invalid UTF-8, huge numbers and deep nesting", function()
    assert.equal("empty", decode_error("").code)
    assert.equal("syntax", decode_error('{"name":"\255"}').code)
    assert.equal("number_range", decode_error('{"details":{"dealValue":1e999}}').code)
    assert.equal("too_deep", decode_error('{"x":' .. string.rep("[", 100) .. string.rep("]", 100) .. "}").code)
  end)

  it("does not quote the input in its errors", function()
    local err = decode_error('{"token":"secret-value" "x":1}')
    assert.is_nil(tostring(err):find("secret", 1, true))
  end)

  it("raises on a wrong argument type", function()
    assert.has_error(function() referrals.decode({}) end)
    assert.has_error(function() referrals.decode() end)
  end)
end)

describe("encode", function()
  it("writes the documented create request (spec §1.4) exactly", function()
    local json = assert(referrals.encode(documented_request()))
    assert.same(cjson.decode(fixtures.read("create-request.json")), cjson.decode(json))
    -- members come in the order the service writes them: the documented text, byte for byte
    assert.equal((fixtures.read("create-request.json"):gsub("%s+$", "")), json)
    assert.truthy(json:find('"ids":[]', 1, true), "ids must stay an array")
    assert.truthy(json:find('"consentToToShareInfoWithOthers":true', 1, true))
  end)

  it("writes empty arrays as [] wherever the schema has an array", function()
    local json = assert(referrals.encode({ target = {}, team = {}, tags = {},
      details = { requirements = { industries = {}, salesPlays = {} } } }))
    assert.equal('{"target":[],"details":{"requirements":{"industries":[],"salesPlays":[]}},"team":[],"tags":[]}', json)
  end)

  it("writes referrals.null and cjson.null as null", function()
    local json = assert(referrals.encode({ name = referrals.null, details = { notes = cjson.null } }))
    assert.equal('{"name":null,"details":{"notes":null}}', json)
  end)

  it("round-trips the real-shaped response member for member", function()
    local text = fixtures.read("real-shaped-response.json")
    local json = assert(referrals.encode(assert(referrals.decode(text))))
    assert.same(cjson.decode(text), cjson.decode(json))
  end)

  it("takes tables that lua-cjson decoded", function()
    local text = fixtures.read("create-response.json")
    local json = assert(referrals.encode(cjson.decode(text)))
    assert.same(cjson.decode(text), cjson.decode(json))
  end)

  it("escapes strings and keeps UTF-8 as it is", function()
    local json = assert(referrals.encode({ name = 'a "q" \\ \n\t\1 é 日本' }))
    assert.equal('{"name":"a \\"q\\" \\\\ \\n\\t\\u0001 é 日本"}', json)
  end)

  it("escapes a byte at any place of a string of any length up to 40", function()
    -- The writer copies 16 and 8 bytes at a time and ends a clean string with one word
    -- overlapping what it copied: every length, with a byte to escape at every place.
    local function expected(s)
      return '"' .. s:gsub('[%c"\\]', function(c)
        local short = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\t"] = "\\t",
          ["\r"] = "\\r", ["\b"] = "\\b", ["\f"] = "\\f" }
        return short[c] or string.format("\\u%04x", c:byte())
      end) .. '"'
    end
    for len = 1, 40 do
      local plain = ("abcdefghijklmnopqrstuvwxyz0123456789ABCD"):sub(1, len)
      assert.equal('{"name":' .. expected(plain) .. "}", referrals.encode({ name = plain }))
      for at = 1, len do
        for _, c in ipairs({ '"', "\\", "\n", "\1" }) do
          local s = plain:sub(1, at - 1) .. c .. plain:sub(at + 1)
          assert.equal('{"name":' .. expected(s) .. "}", referrals.encode({ name = s }))
        end
      end
    end
  end)

  it("writes a datetime given as epoch seconds as an ISO-8601 string", function()
    local json = assert(referrals.encode({ details = { closingDateTime = 1542153600 } }))
    assert.equal('{"details":{"closingDateTime":"2018-11-14T00:00:00Z"}}', json)
  end)

  it("writes numbers in their shortest exact form", function()
    local json = assert(referrals.encode({ details = { dealValue = 0.1 }, extra = { 1e300, -2.5, 3 } }))
    assert.equal('{"details":{"dealValue":0.1},"extra":[1e+300,-2.5,3]}', json)
  end)

  it("refuses values of the wrong type with the field's path", function()
    local json, err = referrals.encode({ customerProfile = { team = { {}, { email = 5 } } } })
    assert.is_nil(json)
    assert.equal("validation", err.category)
    assert.equal("type", err.code)
    assert.equal("customerProfile.team[2].email", err.field)
    assert.equal("customerProfile.team[2].email: expected string, got number", err.message)
  end)

  it("refuses what JSON cannot say", function()
    local _, err = referrals.encode({ details = { dealValue = 0 / 0 } })
    assert.equal("number", err.code)
    _, err = referrals.encode({ extra = { f = print } })
    assert.equal("type", err.code)
    assert.equal("extra", err.field)
    local cyclic = {}
    cyclic.self = cyclic
    _, err = referrals.encode({ extra = cyclic })
    assert.equal("too_deep", err.code)
  end)

  it("raises on a wrong argument type", function()
    assert.has_error(function() referrals.encode("x") end)
    assert.has_error(function() referrals.encode() end)
  end)
end)

describe("module", function()
  it("has null equal to cjson.null, enum tables and a version", function()
    assert.equal(cjson.null, referrals.null)
    assert.equal("Active", referrals.Status.Active)
    assert.equal("Won", referrals.Substatus.Won)
    assert.equal("Shared", referrals.Type.Shared)
    assert.equal("SalesQualified", referrals.Qualification.SalesQualified)
    assert.equal("BusinessProfileLocation", referrals.TargetType.BusinessProfileLocation)
    assert.error_matches(function() return referrals.Status.active end,
      'unknown value "active" of Status; did you mean "Active"%?')
    assert.matches("^%d+%.%d+%.%d+$", referrals.VERSION)
  end)

  it("describes the resource in referrals.schema, from the same tables that drive the codec", function()
    local consent = referrals.schema.types.Consent.fields
    assert.equal("consentToToShareInfoWithOthers", consent[1].key)
    local by_key = {}
    for _, f in ipairs(referrals.schema.types.Referral.fields) do by_key[f.key] = f end
    assert.is_true(by_key.type.required)
    assert.equal("Type", by_key.type.enum)
    assert.is_true(by_key.id.read_only)
    assert.is_false(by_key.engagementId.read_only)
    assert.is_true(by_key.status.patchable)
    assert.equal("object_array", by_key.target.kind)
    assert.equal("ReferralTarget", by_key.target.type)
    assert.same({ "None", "New", "Active", "Closed" }, referrals.schema.enums.Status)
  end)
end)
