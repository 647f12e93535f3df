-- The frictions a new user met in the first hour (issue 10), one spec each: error objects
-- that concatenate, strict enum tables, enum values checked in filters, every validation
-- problem at once, referrals.writable, helpers that check self, one kind of value from update.
-- Against the bundled server where a request is involved.
local referrals = require "referrals"
local cjson = require "cjson"
local fixtures = require "fixtures"
local helper = require "helper"

local TOKEN = "first-hour-token-31"

local function request() return cjson.decode(fixtures.read("create-request.json")) end

describe("the first hour", function()
  local server, client

  setup(function()
    server = helper.start { "--token", TOKEN }
    client = referrals.new { base_url = server.base_url, token = TOKEN, retries = 0 }
  end)
  teardown(function()
    client:close()
    server.stop()
  end)
  before_each(function() server.reset() end)

  describe("error objects", function()
    local _, err = referrals.validate { type = "Shared" }

    it("concatenate like their tostring, on either side", function()
      assert.equal("failed: " .. tostring(err), "failed: " .. err)
      assert.equal(tostring(err) .. "!", err .. "!")
      assert.equal(tostring(err) .. 1, err .. 1)
      assert.error_matches(function() return err .. {} end, "attempt to concatenate a table value")
    end)

    it("are told apart by referrals.is_error", function()
      assert.is_true(referrals.is_error(err))
      assert.is_false(referrals.is_error({ category = "validation", message = "x" }))
      assert.is_false(referrals.is_error("validation error"))
      assert.is_false(referrals.is_error(nil))
      assert.is_true(referrals.is_error(referrals.error { category = "usage", message = "m" }))
    end)
  end)

  describe("enum tables", function()
    it("raise for a name they do not list, with the name that was meant", function()
      assert.error_matches(function() return referrals.Type.shared end,
        'unknown value "shared" of Type; did you mean "Shared"?', nil, true)
      assert.error_matches(function() return referrals.Status.Acitve end,
        'unknown value "Acitve" of Status; did you mean "Active"%?')
      assert.error_matches(function() return referrals.Status.Nonsense end,
        'unknown value "Nonsense" of Status$')
    end)

    it("are strict for every enum of the schema, and list every value", function()
      for name, values in pairs(referrals.schema.enums) do
        assert.has_error(function() return referrals[name]["not a value"] end, nil, name)
        for _, v in ipairs(values) do assert.equal(v, referrals[name][v]) end
      end
    end)
  end)

  describe("a filter on an enum member", function()
    it("is refused before the request, with the value that was meant", function()
      local page, err = client:list { filter = { status = "active" } }
      assert.is_nil(page)
      assert.same({ "validation", "enum", "filter.status" }, { err.category, err.code, err.field })
      assert.truthy(err.message:find('did you mean "Active"?', 1, true), err.message)
      assert.equal(0, #server.requests())
    end)

    it("passes when the value is listed, and free text passes as it is", function()
      assert(client:list { filter = { status = "Active" } })
      assert(client:list { filter = "status eq 'active'" }) -- raw OData: the caller's own
      assert(client:list { filter = { engagementId = "any text" } })
      assert.equal(3, #server.requests())
    end)
  end)

  describe("validation", function()
    it("lists every problem in err.errors; the first is err itself", function()
      local ref = request()
      ref.id, ref.eTag, ref.status = "x", '"e"', "active"
      ref.details.closingDateTime = "soon"
      local ok, err = referrals.validate(ref)
      assert.is_nil(ok)
      local got = {}
      for i, e in ipairs(err.errors) do
        got[i] = e.field .. ":" .. e.code
        assert.is_true(referrals.is_error(e))
        assert.truthy(e.message:find(e.field, 1, true))
      end
      assert.same({ "id:read_only", "status:enum", "details.closingDateTime:datetime",
        "eTag:read_only" }, got)
      assert.same({ err.field, err.code, err.message },
        { err.errors[1].field, err.errors[1].code, err.errors[1].message })
    end)

    it("lists unknown keys first, then the problems of the members it knows", function()
      local ref = request()
      ref.ReferralType, ref.id = "Shared", "x"
      ref.details.dealvalue = 1
      local _, err = referrals.validate(ref)
      local got = {}
      for i, e in ipairs(err.errors) do -- an unknown key is in e.value, never in e.field
        local path = e.code == "unknown_key" and (e.field and e.field .. "." or "") .. e.value or e.field
        got[i] = path .. ":" .. e.code
      end
      local unknown = { got[1], got[2] } -- in the order of the table's keys
      table.sort(unknown)
      assert.same({ "ReferralType:unknown_key", "details.dealvalue:unknown_key" }, unknown)
      assert.same({ "id:read_only" }, { got[3], got[4] })
      assert.equal("unknown_key", err.code)
      assert.truthy(err.message:find('did you mean "', 1, true), err.message)
      local _, alone = referrals.validate { type = "Shared", id = "x", details = "soon" }
      assert.same({ { "details", "type" } }, { { alone.errors[1].field, alone.errors[1].code } })
      assert.equal(1, #alone.errors) -- a value that cannot be converted comes alone
    end)

    it("lists every problem of each item create_many refuses, that item's alone", function()
      local function problems(err)
        local got = {}
        for i, e in ipairs(err.errors or {}) do got[i] = e.field .. ":" .. e.code end
        return got
      end
      local one, two = request(), request()
      one.id, one.eTag, one.status = "x", '"e"', "active"
      two.id, two.status = "y", "nope"
      two.details.closingDateTime = "soon"
      local results = assert(client:create_many({ one, two, request() }))
      assert.same({ "id:read_only", "status:enum", "eTag:read_only" }, problems(results[1]))
      assert.same({ "id:read_only", "status:enum", "details.closingDateTime:datetime" },
        problems(results[2]))
      assert.is_false(referrals.is_error(results[3]))
      assert.equal(1, #server.requests()) -- only the valid item was sent
    end)

    it("of one problem still has err.errors", function()
      local _, err = client:create { type = "Shared" }
      assert.same({ "customerProfile" }, { err.errors[1].field })
      assert.is_true(#err.errors >= 1)
    end)

    it("referrals.writable drops what the service sets, so a fetched referral can be created again",
      function()
        local made = assert(client:create(request()))
        local fetched = assert(client:get(made.id))
        local _, err = client:create(fetched)
        assert.is_true(#err.errors > 1) -- id, eTag, createdDateTime...: all named at once
        local again = assert(client:create(referrals.writable(fetched)))
        assert.are_not.equal(made.id, again.id)
        assert.equal(fetched.customerProfile.name, again.customerProfile.name)
        assert.is_nil(referrals.writable(fetched).id)
        assert.equal(made.id, fetched.id) -- the argument is not changed
        assert.error_matches(function() referrals.writable("x") end, "table expected, got string")
      end)
  end)

  describe("the Lua helpers", function()
    it("check self as the C methods do", function()
      for _, name in ipairs { "create_shared", "connect", "related", "set_status", "each" } do
        assert.error_matches(function() client[name]({}, "x") end,
          "calling '" .. name .. "' on bad self %(referrals.Client expected, got table%)")
      end
      assert.error_matches(function() client.create({}, {}) end, "referrals.Client expected")
    end)
  end)

  it("update returns the referral, one kind of value", function()
    local made = assert(client:create(request()))
    local updated = assert(client:update(made, { ["details.notes"] = "changed" }))
    assert.equal("table", type(updated))
    assert.equal("changed", updated.details.notes)
  end)
end)

describe("the token request", function()
  it("is private to referrals.auth: a member of no public table", function()
    assert.is_nil(referrals.post_form)
    assert.is_nil(require("referrals.core").post_form)
    assert.is_nil(referrals.auth.post_form)
    assert.is_function(referrals.auth.refresh_token)
  end)
end)
