-- opts.extra (issue 18): members the schema does not know, sent on purpose. Against the
-- bundled server over real HTTP: what goes on the wire (compared whole, and the raw text
-- where arrays must stay arrays), what is still refused, PATCH on an extra path, every
-- function and client that takes the option, and the command's --extra.
local referrals = require "referrals"
local cjson = require "cjson"
local fixtures = require "fixtures"
local helper = require "helper"

local TOKEN = "extra-token-31c9d4"
local COLLECTION = "/v1.0/engagements/referrals"
local EXTRA = { "partnerRole", "details.solutionArea", "customerProfile.team.linkedIn" }

local function documented()
  return cjson.decode(fixtures.read("create-request.json"))
end

-- The documented request with the members Services co-sell needs, which the schema lacks:
-- a string at the top, an array of strings in details, an object in an array item.
local function with_unknown()
  local ref = documented()
  ref.partnerRole = "Seller"
  ref.details.solutionArea = { "Azure", "Security" }
  ref.customerProfile.team[2].linkedIn = { handle = "joe-hansen", verified = true }
  return ref
end

-- The path of a problem: its field, and for an unknown key the key (in err.value: the
-- message and field never quote it).
local function path_of(p)
  if p.code ~= "unknown_key" then return p.field end
  return (p.field and p.field .. "." or "") .. p.value
end

-- The problems of err as { path = code }.
local function problems(err)
  local out = {}
  for _, p in ipairs(err.errors or { err }) do out[path_of(p)] = p.code end
  return out
end

describe("extra members", function()
  local server, client

  setup(function()
    server = helper.start { "--token", TOKEN }
    client = referrals.new { token = TOKEN, base_url = server.base_url, retries = 0 }
  end)

  teardown(function()
    client:close()
    server.stop()
  end)

  before_each(function() server.reset() end)

  local function wire(since) return server.wire(since, TOKEN) end

  local function posted(body)
    return { method = "POST", path = COLLECTION, query = "",
      headers = helper.headers(server, { ["content-length"] = "<body length>" }), body = body }
  end

  describe("on create", function()
    it("sends a top-level and nested unknown members exactly as given", function()
      local created, err = client:create(with_unknown(), { extra = EXTRA })
      assert.is_nil(err)
      assert.same({ posted(with_unknown()) }, wire())
      local raw = server.requests()[1].body
      assert.truthy(raw:find('"solutionArea":["Azure","Security"]', 1, true))
      assert.truthy(raw:find('"partnerRole":"Seller"', 1, true))
      assert.equal("Seller", created.partnerRole)
    end)

    it("refuses them without extra, each with its path, and sends nothing", function()
      local created, err = client:create(with_unknown())
      assert.is_nil(created)
      assert.equal("validation", err.category)
      assert.same({ partnerRole = "unknown_key", ["details.solutionArea"] = "unknown_key",
        ["customerProfile.team[2].linkedIn"] = "unknown_key" }, problems(err))
      assert.same({}, wire())
    end)

    it("still refuses a typo beside an allowed extra, with its did-you-mean", function()
      local ref = with_unknown()
      ref.details.dealValu = 10
      ref.partnerRol = "Seller"
      local created, err = client:create(ref, { extra = EXTRA })
      assert.is_nil(created)
      assert.same({ ["details.dealValu"] = "unknown_key", partnerRol = "unknown_key" }, problems(err))
      local messages = {}
      for _, p in ipairs(err.errors) do messages[path_of(p)] = p.message end
      assert.equal('details: unknown key in a ReferralDetails; did you mean "dealValue"?',
        messages["details.dealValu"])
      assert.same({}, wire())
    end)

    it("validates an extra path the schema knows", function()
      local ref = documented()
      ref.details.dealValue = "a lot"
      local _, err = client:create(ref, { extra = { "details.dealValue" } })
      assert.same({ ["details.dealValue"] = "type" }, problems(err))
      assert.same({}, wire())
    end)

    it("takes the client's list, and the call's beside it", function()
      local other = referrals.new { token = TOKEN, base_url = server.base_url, retries = 0,
        extra = { "partnerRole" } }
      local ref = documented()
      ref.partnerRole = "Seller"
      assert(other:create(ref))
      local _, err = other:create(with_unknown())
      assert.same({ ["details.solutionArea"] = "unknown_key",
        ["customerProfile.team[2].linkedIn"] = "unknown_key" }, problems(err))
      assert(other:create(with_unknown(), { extra = { "details.solutionArea",
        "customerProfile.team[].linkedIn" } }))
      other:close()
      assert.same({ posted(ref), posted(with_unknown()) }, wire())
    end)

    it("raises for an extra that is not a list of strings", function()
      assert.matches("opts.extra: a list of field paths", helper.raised(client.create, client,
        documented(), { extra = "partnerRole" }), 1, true)
      assert.matches("opts.extra[2]: a field path (string) expected, got number",
        helper.raised(referrals.validate, documented(), { extra = { "a", 2 } }), 1, true)
      assert.matches("option 'extra': list of field paths expected, got string",
        helper.raised(referrals.new, { token = TOKEN, extra = "partnerRole" }), 1, true)
    end)
  end)

  describe("offline", function()
    it("validate and encode_valid take it; encode keeps unknown members anyway", function()
      assert.same({ partnerRole = "unknown_key", ["details.solutionArea"] = "unknown_key",
        ["customerProfile.team[2].linkedIn"] = "unknown_key" },
        problems(select(2, referrals.validate(with_unknown()))))
      assert.is_true(referrals.validate(with_unknown(), { extra = EXTRA }))
      assert.is_true(referrals.validate(with_unknown(), "create", { extra = EXTRA }))
      local json = assert(referrals.encode_valid(with_unknown(), { extra = EXTRA }))
      assert.same(with_unknown(), cjson.decode(json))
      assert.equal(json, assert(referrals.encode(with_unknown(), { extra = EXTRA })))
    end)
  end)

  describe("on update", function()
    it("PATCHes an extra path with its value as given; refuses it without", function()
      local ref = assert(client:create(documented()))
      local n = #server.requests()
      local _, err = client:update(ref, { ["details.solutionArea"] = { "Azure" } })
      assert.equal("validation", err.category)
      assert.matches('a ReferralDetails has no member "solutionArea"', err.message, 1, true)
      assert.equal(n, #server.requests())
      -- The bundled server only takes the documented paths: what matters is what is sent.
      _, err = client:update(ref, { ["details.solutionArea"] = { "Azure" }, partnerRole = "Seller",
        ["details.dealValue"] = 10 }, { extra = EXTRA })
      assert.equal(400, err.status)
      assert.same({ {
        method = "PATCH", path = COLLECTION .. "/" .. ref.id, query = "",
        headers = helper.headers(server, { ["content-length"] = "<body length>",
          ["if-match"] = ref.eTag, prefer = "return=representation" }),
        body = {
          { op = "replace", path = "/details/dealValue", value = 10 },
          { op = "replace", path = "/details/solutionArea", value = { "Azure" } },
          { op = "replace", path = "/partnerRole", value = "Seller" },
        },
      } }, wire(n))
      assert.truthy(server.requests(n)[1].body:find('"value":["Azure"]', 1, true))
    end)

    it("still validates a known path on the list, and an operation list works the same", function()
      local ref = assert(client:create(documented()))
      local n = #server.requests()
      local _, err = client:update(ref, { ["details.dealValue"] = "ten" }, { extra = EXTRA })
      assert.equal("type", err.code)
      _, err = client:update(ref, { { op = "add", path = "/customerProfile/team/0/linkedIn",
        value = { handle = "sue" } } }, { extra = EXTRA })
      assert.equal(400, err.status)
      assert.same({ { op = "add", path = "/customerProfile/team/0/linkedIn",
        value = { handle = "sue" } } }, wire(n)[1].body)
      -- A known path whose value carries an extra member: the member is sent, typos refused.
      local member = { firstName = "Ann", lastName = "Lee", email = "ann@contoso.com",
        linkedIn = { handle = "ann" } }
      local function append() return { { op = "add", path = "/customerProfile/team/-", value = member } } end
      _, err = client:update(ref, append())
      assert.equal("unknown_key", err.code)
      n = #server.requests()
      client:update(ref, append(), { extra = EXTRA })
      assert.same(append(), wire(n)[1].body)
      member.emial, member.email = member.email, nil
      _, err = client:update(ref, append(), { extra = EXTRA })
      assert.matches('did you mean "email"', err.message, 1, true)
    end)
  end)

  describe("the other writers", function()
    it("create_many sends them and refuses the items without", function()
      local results = assert(client:create_many({ with_unknown(), documented() },
        { extra = { "partnerRole", "details.solutionArea", "customerProfile.team.linkedIn" } }))
      assert.equal("Seller", results[1].partnerRole)
      local bodies = {}
      for _, w in ipairs(wire()) do bodies[#bodies + 1] = w.body end
      table.sort(bodies, function(a) return a.partnerRole ~= nil end)
      assert.same({ with_unknown(), documented() }, bodies)
      server.reset()
      results = assert(client:create_many({ with_unknown() }))
      assert.equal("unknown_key", results[1].code)
      assert.same({}, wire())
    end)

    it("create_shared sends them in both halves", function()
      local mine, other = client:create_shared(with_unknown(), { extra = EXTRA })
      assert.is_truthy(mine, other)
      local sent = wire()
      assert.equal(2, #sent)
      for _, w in ipairs(sent) do
        assert.equal("Seller", w.body.partnerRole)
        assert.same({ "Azure", "Security" }, w.body.details.solutionArea)
        assert.same({ handle = "joe-hansen", verified = true },
          w.body.customerProfile.team[2].linkedIn)
      end
      local step1 = with_unknown()
      step1.type = "Shared"
      assert.same(posted(step1), sent[1])
    end)

    it("sync plans and creates them; without extra the item is an error", function()
      local ref = with_unknown()
      ref.externalReferenceId = "extra-sync-1"
      ref.type = "Independent"
      ref.inviteContext, ref.target = nil, nil
      local plan = assert(client:sync({ ref }))
      assert.equal("error", plan.items[1].action)
      assert.equal("unknown_key", plan.items[1].error.code)
      plan = assert(client:sync({ ref }, { extra = EXTRA }))
      assert.equal("create", plan.items[1].action)
      local n = #server.requests()
      local results = assert(plan:apply())
      assert.equal("Seller", results[1].partnerRole)
      assert.same({ posted(ref) }, wire(n))
    end)
  end)

  describe("the command's --extra", function()
    local dir, remove_dir

    setup(function() dir, remove_dir = helper.tempdir() end)
    teardown(function() remove_dir() end)

    -- Runs the command with FILE = ref (default with_unknown()); true when it exits with 0.
    local function run(args, ref)
      local file = dir .. "/ref.json"
      local f = assert(io.open(file, "wb"))
      f:write(cjson.encode(ref or with_unknown()))
      f:close()
      local cmd = { "env", helper.quote("LUA_PATH=" .. package.path),
        helper.quote("LUA_CPATH=" .. package.cpath), "REFERRALS_TOKEN=" .. TOKEN,
        helper.quote("REFERRALS_BASE_URL=" .. server.base_url), helper.quote(helper.interpreter()),
        "bin/referrals" }
      for _, a in ipairs(args) do cmd[#cmd + 1] = helper.quote((a:gsub("FILE", file))) end
      local status = os.execute(table.concat(cmd, " ") .. " >" .. dir .. "/out 2>" .. dir .. "/err")
      return status == true or status == 0
    end

    it("is repeatable on validate and create, and sends the members as given", function()
      assert.is_false(run { "validate", "FILE" })
      assert.is_false(run { "validate", "FILE", "--extra", "partnerRole" })
      local all = { "--extra", "partnerRole", "--extra=details.solutionArea",
        "--extra", "customerProfile.team.linkedIn" }
      local function with_all(command)
        local out = { command, "FILE" }
        for _, a in ipairs(all) do out[#out + 1] = a end
        return out
      end
      assert.is_true(run(with_all("validate")))
      assert.same({}, wire())
      assert.is_true(run(with_all("create")))
      local sent = wire()
      sent[1].headers = nil -- the command's own user agent
      local expected = posted(with_unknown())
      expected.headers = nil
      assert.same({ expected }, sent)
    end)

    it("on bulk, share and sync sends the members; without it they are refused", function()
      local all = { "--extra", "partnerRole", "--extra", "details.solutionArea",
        "--extra", "customerProfile.team.linkedIn" }
      local ref = with_unknown()
      ref.externalReferenceId = "extra-cli-1"
      local function posts()
        local out = {}
        for _, w in ipairs(wire()) do
          if w.method == "POST" then out[#out + 1] = w.body.details.solutionArea end
        end
        return out
      end
      for _, command in ipairs { "bulk", "share", "sync" } do
        server.reset()
        local argv = { command, "FILE" }
        if command == "sync" then argv[3] = "--apply" end
        assert.is_false(run(argv, ref), command)
        assert.same({}, posts(), command)
        for _, a in ipairs(all) do argv[#argv + 1] = a end
        assert.is_true(run(argv, ref), command)
        local sent = { { "Azure", "Security" }, command ~= "bulk" and { "Azure", "Security" } or nil }
        assert.same(sent, posts(), command)
      end
    end)

    it("on update sends the PATCH path", function()
      local ref = assert(client:create(documented()))
      local n = #server.requests()
      assert.is_false(run { "update", ref.id, "partnerRole=Seller", "--extra", "partnerRole" })
      assert.same({ { op = "replace", path = "/partnerRole", value = "Seller" } }, wire(n)[1].body)
    end)
  end)
end)
