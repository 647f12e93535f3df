-- The client of issue 3 against the bundled fake Partner API, over real HTTP. For every
-- operation: the result, and the request the server recorded (method, path, query, every
-- header, the body decoded by lua-cjson), compared whole. Then every error path.
local referrals = require "referrals"
local cjson = require "cjson"
local fixtures = require "fixtures"
local helper = require "helper"

local TOKEN = "spec-token-7f3a91"
local COLLECTION = "/v1.0/engagements/referrals"
local MISSING_ID = "00000000-0000-4000-8000-000000000000"

-- The documented create request (spec §1.4), as lua-cjson reads it.
local function documented()
  return cjson.decode(fixtures.read("create-request.json"))
end

-- The error object as a plain table, to compare whole.
local function plain(err)
  local t = {}
  for k, v in pairs(err) do t[k] = v end
  return t
end

describe("the client", function()
  local server, client

  setup(function()
    server = helper.start { "--token", TOKEN, "--page-size", "2" }
    client = referrals.new {
      token = TOKEN, base_url = server.base_url, correlation_id = "corr-42", timeout = 10,
      retries = 0, -- one attempt per call: spec/faults_spec.lua covers the retries
    }
  end)

  teardown(function()
    client:close()
    server.stop()
  end)

  before_each(function() server.reset() end)

  -- The requests recorded from index since (0: all since the reset), shown by helper.wire.
  local function wire(since) return server.wire(since, TOKEN) end

  local function headers(extra)
    local h = { ["ms-correlationid"] = "corr-42" }
    for k, v in pairs(extra or {}) do h[k] = v end
    return helper.headers(server, h)
  end

  local function with_body(extra)
    local h = { ["content-length"] = "<body length>" }
    for k, v in pairs(extra or {}) do h[k] = v end
    return headers(h)
  end

  local function create_n(n)
    local out = {}
    for i = 1, n do out[i] = assert(client:create(documented())) end
    return out
  end

  describe("referrals.new", function()
    local function new_error(opts)
      return helper.raised(referrals.new, opts)
    end

    it("raises for an option of the wrong type, naming the option", function()
      local base = server.base_url
      assert.matches("option 'timeout': number expected, got string",
        new_error { token = TOKEN, base_url = base, timeout = "5" }, 1, true)
      assert.matches("option 'token': string or function expected, got nil",
        new_error { base_url = base }, 1, true)
      assert.matches("option 'token': string or function expected, got number",
        new_error { token = 5 }, 1, true)
      assert.matches("option 'verify': boolean expected, got string",
        new_error { token = TOKEN, verify = "no" }, 1, true)
      assert.matches([[option 'http_version': "1.1" or "2" expected]],
        new_error { token = TOKEN, http_version = "3" }, 1, true)
      assert.matches("option 'connect_timeout': seconds from 0 to 1e9 expected",
        new_error { token = TOKEN, connect_timeout = -1 }, 1, true)
      assert.matches("unknown option 'base_uri'", new_error { token = TOKEN, base_uri = base }, 1, true)
    end)

    it("raises for a base_url that is not http(s)://host[:port], or a header value with CR/LF", function()
      for _, url in ipairs { "ftp://example.com", "https://example.com/v1.0", "example.com",
        "https://user:pw@example.com", "https://example.com?x=1" } do
        assert.matches("option 'base_url': expected http(s)://host[:port]",
          new_error { token = TOKEN, base_url = url }, 1, true)
      end
      assert.matches("option 'user_agent': contains a control byte",
        new_error { token = TOKEN, user_agent = "x\r\nX-Evil: 1" }, 1, true)
      assert.matches("option 'correlation_id': contains a control byte",
        new_error { token = TOKEN, correlation_id = "a\nb" }, 1, true)
      assert.matches("option 'token': not a bearer token",
        new_error { token = "abc\r\nX-Evil: 1" }, 1, true)
    end)

    it("shows the base URL, never the token, in tostring", function()
      assert.equal("referrals.client (" .. server.base_url .. ")", tostring(client))
      local other = referrals.new { token = TOKEN }
      assert.equal("referrals.client (https://api.partner.microsoft.com)", tostring(other))
      other:close()
      assert.equal("referrals.client (https://api.partner.microsoft.com, closed)", tostring(other))
    end)

    it("sends the user_agent given and no MS-CorrelationId when none is set", function()
      local other = referrals.new { token = TOKEN, base_url = server.base_url, user_agent = "sync/2" }
      assert(other:list())
      other:close()
      local seen = wire()[1].headers
      local expected = helper.headers(server, { ["user-agent"] = "sync/2" })
      assert.same(expected, seen)
    end)
  end)

  describe("close", function()
    it("releases the client early; later calls return nil, err 'closed' and send nothing", function()
      local other = referrals.new { token = TOKEN, base_url = server.base_url }
      other:close()
      other:close() -- twice is fine
      local got, err = other:get(MISSING_ID)
      assert.is_nil(got)
      assert.same({ category = "transport", code = "closed", message = "the client is closed",
        retryable = false }, plain(err))
      assert.same({}, server.requests())
    end)

    if _VERSION == "Lua 5.4" then
      it("closes a to-be-closed client at the end of its scope (5.4)", function()
        -- load: the <close> syntax does not parse on 5.1-5.3, where this file runs too
        local chunk = assert(load [[
          local referrals, base, token = ...
          local kept
          do
            local c <close> = referrals.new { token = token, base_url = base }
            kept = c
          end
          return kept
        ]])
        local kept = chunk(referrals, server.base_url, TOKEN)
        assert.equal("referrals.client (" .. server.base_url .. ", closed)", tostring(kept))
      end)
    end
  end)

  describe("create", function()
    it("POSTs the table as JSON with every header and returns the created referral", function()
      local created, err = client:create(documented())
      assert.is_nil(err)
      local stored = server.referrals()
      assert.equal(1, #stored)
      assert.same(stored[1], created)
      assert.same({ {
        method = "POST", path = COLLECTION, query = "",
        headers = with_body(), body = documented(),
      } }, wire())
    end)

    it("gives every request a fresh client-request-id", function()
      create_n(2)
      local a, b = server.requests()[1], server.requests()[2]
      assert.matches(helper.GUID, a.headers["client-request-id"])
      assert.matches(helper.GUID, b.headers["client-request-id"])
      assert.are_not.equal(a.headers["client-request-id"], b.headers["client-request-id"])
    end)

    it("validates first: an invalid table sends nothing", function()
      local ref = documented()
      ref.type = "shared"
      local created, err = client:create(ref)
      assert.is_nil(created)
      assert.same({ "validation", "enum", "type" }, { err.category, err.code, err.field })
      ref = documented()
      ref.id = "x" -- read-only on create (spec §2)
      created, err = client:create(ref)
      assert.is_nil(created)
      assert.same({ "validation", "read_only", "id" }, { err.category, err.code, err.field })
      assert.same({}, server.requests())
    end)

    it("raises for an argument that is not a table", function()
      assert.matches("table expected", helper.raised(client.create, client, "{}"), 1, true)
    end)
  end)

  describe("get", function()
    it("GETs one referral by id", function()
      local created = create_n(1)[1]
      local n = #server.requests()
      local got, err = client:get(created.id)
      assert.is_nil(err)
      -- a GET by id also names its OData context (spec §1.3); the rest is the created referral
      assert.equal("string", type(got["@odata.context"]))
      created["@odata.context"] = got["@odata.context"]
      assert.same(created, got)
      assert.same({ {
        method = "GET", path = COLLECTION .. "/" .. created.id, query = "", headers = headers(),
      } }, wire(n))
    end)

    it("refuses ids that would change the URL, and sends nothing", function()
      for _, id in ipairs { "a/b", "a?b", "a#b", "a%2Fb", "..", "a..b", "a b", "a\nb", "a\0b",
        "", ("x"):rep(129) } do
        local got, err = client:get(id)
        assert.is_nil(got)
        assert.same({ "validation", "id", "id" }, { err.category, err.code, err.field })
      end
      assert.same({}, server.requests())
    end)

    it("returns nil, err for an unknown id (404 itemNotFound)", function()
      local got, err = client:get(MISSING_ID)
      assert.is_nil(got)
      assert.matches(helper.GUID, err.request_id) -- the answer's request-id header
      assert.matches(MISSING_ID, err.message, 1, true)
      assert.same({ category = "api", code = "itemNotFound", status = 404, retryable = false, attempts = 1,
        message = err.message, request_id = err.request_id }, plain(err))
      assert.equal("api error (itemNotFound): " .. err.message, tostring(err))
    end)
  end)

  describe("list", function()
    it("builds the query from a table: filter conditions sorted and quoted, everything URL-encoded", function()
      local page, err = client:list {
        filter = { status = "Active", engagementId = "it's" },
        orderby = "createdDateTime desc", select = { "id", "status" }, top = 3, skip = 1,
        count = true,
      }
      assert.is_nil(err)
      assert.same({ value = {}, count = 0 }, page)
      assert.same({ {
        method = "GET", path = COLLECTION, headers = headers(),
        query = "$filter=engagementId%20eq%20%27it%27%27s%27%20and%20status%20eq%20%27Active%27"
          .. "&$orderby=createdDateTime%20desc&$select=id%2Cstatus&$top=3&$skip=1&$count=true",
      } }, wire())
    end)

    it("sends a raw OData filter as given, encoded", function()
      assert(client:list { filter = "(status eq 'New' and type eq 'Shared')" })
      assert.equal("$filter=%28status%20eq%20%27New%27%20and%20type%20eq%20%27Shared%27%29",
        server.requests()[1].query)
    end)

    it("returns one page and its next link; the link fetches the next page", function()
      local created = create_n(3)
      local n = #server.requests()
      local first, err = client:list()
      assert.is_nil(err)
      assert.same({ created[1], created[2] }, first.value)
      assert.is_nil(first.count)
      assert.equal("string", type(first.next))
      local second = assert(client:list(first.next))
      assert.same({ value = { created[3] } }, second)
      local link_query = first.next:match("%?(.*)$")
      assert.same({
        { method = "GET", path = COLLECTION, query = "", headers = headers() },
        { method = "GET", path = COLLECTION, query = link_query, headers = headers() },
      }, wire(n))
    end)

    it("each() walks every referral of every page (three pages)", function()
      local created = create_n(5)
      local n = #server.requests()
      local seen = {}
      for ref in client:each { filter = { status = "Active" } } do seen[#seen + 1] = ref end
      assert.same(created, seen)
      local requests = wire(n)
      assert.equal(3, #requests)
      assert.equal("$filter=status%20eq%20%27Active%27", requests[1].query)
      for i = 2, 3 do -- the next links, followed as given
        assert.matches("$skiptoken=", requests[i].query, 1, true)
        assert.same({ method = "GET", path = COLLECTION, query = requests[i].query,
          headers = headers() }, requests[i])
      end
    end)

    it("each() raises the err object when a page fails, instead of ending quietly", function()
      create_n(3)
      local next_ref = client:each()
      assert.is_table(next_ref())
      assert.is_table(next_ref())
      server.faults { status = 503, retry_after = "2", match = { method = "GET" },
        body = cjson.encode { error = { code = "serviceNotAvailable", message = "busy" } } }
      local ok, err = pcall(next_ref)
      assert.is_false(ok)
      assert.same({ category = "api", code = "serviceNotAvailable", message = "busy", status = 503,
        retry_after = 2, retryable = true, attempts = 1, request_id = err.request_id }, plain(err))
    end)

    it("raises for query options of the wrong type, naming them", function()
      local function list_error(q) return helper.raised(client.list, client, q) end
      assert.matches("query.top: a whole number >= 0 expected", list_error { top = -1 }, 1, true)
      assert.matches("query.skip: a whole number >= 0 expected", list_error { skip = "2" }, 1, true)
      assert.matches("query.filter: string or table expected", list_error { filter = 5 }, 1, true)
      assert.matches("query.filter: a table of names to string values expected",
        list_error { filter = { status = 1 } }, 1, true)
      assert.matches("query.select: a list of strings expected", list_error { select = { 1 } }, 1, true)
      assert.matches("query.count: boolean expected", list_error { count = "yes" }, 1, true)
      assert.matches("unknown query option 'where'", list_error { where = "x" }, 1, true)
      assert.matches("query table or next link expected", list_error(42), 1, true)
      assert.same({}, server.requests())
      -- the binding's context was released before raising: calls still work
      assert.is_table(client:list())
    end)

    it("refuses a filter name that is not a property path", function()
      local page, err = client:list { filter = { ["status eq 'New' or type"] = "x" } }
      assert.is_nil(page)
      assert.same({ "validation", "filter" }, { err.category, err.code })
      assert.same({}, server.requests())
    end)

    it("follows next links only to the configured host and scheme", function()
      for _, link in ipairs {
        "http://evil.example" .. COLLECTION .. "?$skiptoken=2",
        "https://127.0.0.1:" .. server.port .. COLLECTION .. "?$skiptoken=2",
        "http://127.0.0.1:1" .. COLLECTION .. "?$skiptoken=2",
        server.base_url .. "/v1.0/other?$skiptoken=2",
        "/v1.0/referrals?$skiptoken=2",
      } do
        local page, err = client:list(link)
        assert.is_nil(page)
        assert.same({ "validation", "foreign_next_link" }, { err.category, err.code })
      end
      assert.same({}, server.requests())
    end)

    it("puts back the /engagements that documented next links lack", function()
      assert(client:list(server.base_url .. "/v1.0/referrals?$top=1"))
      local r = server.requests()[1]
      assert.same({ COLLECTION, "$top=1" }, { r.path, r.query })
    end)

    it("upgrades an http next link to https when the base is https", function()
      -- Nothing listens on 127.0.0.1:443, so the upgraded link fails to connect -- to port
      -- 443: the link was accepted and upgraded, not refused as foreign.
      local tls = referrals.new { token = TOKEN, base_url = "https://127.0.0.1", connect_timeout = 2 }
      local page, err = tls:list("http://127.0.0.1/v1.0/referrals?$skiptoken=1")
      tls:close()
      assert.is_nil(page)
      assert.same({ "transport", "CONNECT" }, { err.category, err.code })
      assert.matches("443", err.message, 1, true)
    end)
  end)

  describe("update", function()
    it("PATCHes a table of paths as sorted JSON Patch ops with If-Match and Prefer", function()
      local ref = create_n(1)[1]
      local n = #server.requests()
      local updated, err = client:update(ref, {
        substatus = "Won", status = "Closed", ["details.dealValue"] = 10000,
        ["/details/notes"] = "signed", statusReason = "price",
      })
      assert.is_nil(err)
      assert.same(server.referrals()[1], updated)
      assert.same({ "Closed", "Won", 10000 }, { updated.status, updated.substatus, updated.details.dealValue })
      assert.same({ {
        method = "PATCH", path = COLLECTION .. "/" .. ref.id, query = "",
        headers = with_body { ["if-match"] = ref.eTag, prefer = "return=representation" },
        body = {
          { op = "replace", path = "/details/dealValue", value = 10000 },
          { op = "replace", path = "/details/notes", value = "signed" },
          { op = "replace", path = "/status", value = "Closed" },
          { op = "replace", path = "/statusReason", value = "price" },
          { op = "replace", path = "/substatus", value = "Won" },
        },
      } }, wire(n))
    end)

    it("sends a list of ops in the given order; /team/- and /registrations/- append", function()
      local ref = create_n(1)[1]
      local n = #server.requests()
      local member = { firstName = "Ann", lastName = "Lee", email = "ann@contoso.com",
        contactPreference = { locale = "en-us" } }
      local registration = { type = "AzureIPCoSell",
        contract = { currency = "USD", value = 1000.5, term = "Finite" } }
      local updated = assert(client:update(ref.id, {
        { op = "add", path = "/team/-", value = member },
        { op = "replace", path = "details/currency", value = "EUR" },
        { op = "add", path = "/registrations/-", value = registration },
      }, { etag = ref.eTag }))
      assert.same(server.referrals()[1], updated)
      assert.same({ {
        method = "PATCH", path = COLLECTION .. "/" .. ref.id, query = "",
        headers = with_body { ["if-match"] = ref.eTag, prefer = "return=representation" },
        body = {
          { op = "add", path = "/team/-", value = member },
          { op = "replace", path = "/details/currency", value = "EUR" },
          { op = "add", path = "/registrations/-", value = registration },
        },
      } }, wire(n))
      -- array indexes walk into deal registrations (spec §1.5)
      n = #server.requests()
      updated = assert(client:update(updated, { ["registrations.0.contract.term"] = "Perpetual" }))
      assert.equal("Perpetual", updated.registrations[1].contract.term)
      assert.same({ { op = "replace", path = "/registrations/0/contract/term", value = "Perpetual" } },
        wire(n)[1].body)
    end)

    it("sends no If-Match for a bare id without opts.etag", function()
      local ref = create_n(1)[1]
      local n = #server.requests()
      assert(client:update(ref.id, { ["details.notes"] = referrals.null }))
      assert.same({ {
        method = "PATCH", path = COLLECTION .. "/" .. ref.id, query = "",
        headers = with_body { prefer = "return=representation" },
        body = { { op = "replace", path = "/details/notes", value = cjson.null } },
      } }, wire(n))
    end)

    it("returns the referral for a bare 204, read again with a GET", function()
      local ref = create_n(1)[1]
      local n = #server.requests()
      server.faults { status = 204, body = "", match = { method = "PATCH" } }
      local updated = assert(client:update(ref, { status = "Closed", substatus = "Won" }))
      assert.equal("table", type(updated))
      assert.equal(ref.id, updated.id)
      local sent = server.requests()
      assert.same({ "PATCH", "GET" }, { sent[n + 1].method, sent[n + 2].method })
      assert.equal(COLLECTION .. "/" .. ref.id, sent[n + 2].path)
      assert.equal(n + 2, #sent)
    end)

    it("appends with a path ending in - in the table of paths (an add, as RFC 6902 says)", function()
      local ref = create_n(1)[1]
      local n = #server.requests()
      local member = { firstName = "Ada", lastName = "L", email = "ada@example.com" }
      assert(client:update(ref.id, { ["customerProfile.team.-"] = member }))
      assert.same({ { op = "add", path = "/customerProfile/team/-", value = member } }, wire(n)[1].body)
    end)

    it("returns the service's 412 for a stale eTag", function()
      local ref = create_n(1)[1]
      local updated, err = client:update(ref, { status = "Closed", substatus = "Won" },
        { etag = '"stale"' })
      assert.is_nil(updated)
      assert.same({ "api", "preconditionFailed", 412, false },
        { err.category, err.code, err.status, err.retryable })
      assert.equal('"stale"', server.requests()[2].headers["if-match"])
    end)

    it("returns the service's 400 for an illegal transition it refuses", function()
      local ref = create_n(1)[1] -- Active/Accepted: Active cannot go back to New
      local updated, err = client:update(ref, { status = "New", substatus = "Pending" })
      assert.is_nil(updated)
      assert.same({ "api", "invalidRequest", 400, false },
        { err.category, err.code, err.status, err.retryable })
    end)

    it("refuses what is not patchable or not valid, with the path, and sends nothing", function()
      local cases = {
        { { id = "x" }, "not_patchable", "id" },
        { { ["details.requirements.industries"] = {} }, "not_patchable", "details.requirements.industries" },
        { { ["team/0/email"] = "x" }, "not_patchable", "team/0/email" },
        { { ["details.nope"] = 1 }, "path", "details.nope" },
        { { ["status/x"] = "New" }, "path", "status/x" },
        { { ["team/-/email"] = "x" }, "path", "team/-/email" },
        { { ["details.dealValue"] = "10000" }, "type", "details.dealValue" },
        { { status = "closed" }, "enum", "status" },
        { { ["details.closingDateTime"] = "tomorrow" }, "datetime", "details.closingDateTime" },
        { { { op = "remove", path = "/status" } }, "op", "changes[1]" },
        { { { op = "replace", path = "/team/-", value = {} } }, "op", "/team/-" },
        { { { op = "add", path = "/team/-", value = { emial = "x" } } }, "unknown_key", "/team/-" },
        -- a value that cannot be read wins over a rule's problem before it (the enum)
        { { { op = "add", path = "/registrations/-", value = { type = "nope", contract = { value = "x" } } } },
          "type", "/registrations/-.contract.value" },
        { { { op = "add", path = "/team/-", value = { contactPreference = { emial = 1 } } } },
          "unknown_key", "/team/-.contactPreference" },
        { { { op = "replace", path = "/status" } }, "value", "/status" },
        { { { op = "replace" } }, "path", "changes[1]" },
        { { "x" }, "changes", "changes[1]" },
        { {}, "changes", "" },
        { { { op = "replace", path = "/status", value = "New" }, status = "New" }, "changes", "" },
      }
      for _, case in ipairs(cases) do
        local updated, err = client:update(MISSING_ID, case[1])
        assert.is_nil(updated)
        assert.same({ "validation", case[2], case[3] }, { err.category, err.code, err.field or "" })
      end
      assert.same({}, server.requests())
    end)

    it("refuses an eTag holding CR or LF before sending", function()
      local updated, err = client:update(MISSING_ID, { status = "New" }, { etag = '"a"\r\nX-Evil: 1' })
      assert.is_nil(updated)
      assert.same({ "validation", "header_value", "etag" }, { err.category, err.code, err.field })
      assert.same({}, server.requests())
    end)

    it("raises for arguments of the wrong type", function()
      assert.matches("opts.etag: string expected",
        helper.raised(client.update, client, MISSING_ID, { status = "New" }, { etag = 5 }), 1, true)
      assert.matches("id or referral expected",
        helper.raised(client.update, client, 5, { status = "New" }), 1, true)
      assert.matches("table expected", helper.raised(client.update, client, MISSING_ID, "status"), 1, true)
    end)

    it("refuses a referral table without an id", function()
      local updated, err = client:update({ eTag = '"x"' }, { status = "New" })
      assert.is_nil(updated)
      assert.same({ "validation", "id" }, { err.category, err.code })
    end)
  end)

  describe("set_status", function()
    it("checks the transition against the table's status and PATCHes status, substatus and reason", function()
      local ref = create_n(1)[1] -- Active/Accepted
      local n = #server.requests()
      local closed = assert(client:set_status(ref, "Closed", "Lost", "budget cut"))
      assert.same({ "Closed", "Lost", "budget cut" }, { closed.status, closed.substatus, closed.statusReason })
      assert.same({ {
        method = "PATCH", path = COLLECTION .. "/" .. ref.id, query = "",
        headers = with_body { ["if-match"] = ref.eTag, prefer = "return=representation" },
        body = {
          { op = "replace", path = "/status", value = "Closed" },
          { op = "replace", path = "/statusReason", value = "budget cut" },
          { op = "replace", path = "/substatus", value = "Lost" },
        },
      } }, wire(n))
    end)

    it("GETs the current status when given an id", function()
      local ref = create_n(1)[1]
      local n = #server.requests()
      assert(client:set_status(ref.id, "Closed", "Won"))
      local requests = wire(n)
      assert.same({ "GET", "PATCH" }, { requests[1].method, requests[2].method })
      assert.equal(ref.eTag, requests[2].headers["if-match"])
    end)

    it("refuses an illegal move locally, without a request", function()
      local ref = create_n(1)[1]
      ref.status, ref.substatus = "Closed", "Won"
      local n = #server.requests()
      local moved, err = client:set_status(ref, "Active", "Accepted")
      assert.is_nil(moved)
      assert.same({ "validation", "transition", "status", false },
        { err.category, err.code, err.field, err.retryable })
      assert.matches("Closed is terminal", err.message, 1, true)
      assert.same({}, server.requests(n))
    end)
  end)

  describe("errors", function()
    it("401 with the API's error body; the token is in no error text", function()
      local other = referrals.new { token = "wrong-token-123", base_url = server.base_url }
      local got, err = other:get(MISSING_ID)
      other:close()
      assert.is_nil(got)
      -- an opaque token: nothing to say of its audience but the one needed
      assert.same({ category = "api", code = "unauthenticated", status = 401, retryable = false, attempts = 1,
        message = "The bearer token is not valid", request_id = err.request_id,
        needed_audience = "https://api.partner.microsoft.com" }, plain(err))
      assert.is_nil(tostring(err):find("wrong-token-123", 1, true))
    end)

    it("an error body that is not the API's JSON gives category http", function()
      server.faults { status = 502, body = "<html>Bad gateway</html>", content_type = "text/html" }
      local got, err = client:get(MISSING_ID)
      assert.is_nil(got)
      assert.same({ category = "http", code = "HTTP_502", status = 502, retryable = true, attempts = 1,
        request_id = err.request_id,
        message = "HTTP 502, and the body is not the API's error JSON (Content-Type: text/html)" },
        plain(err))
    end)

    it("reads code, message and target of the API's error, skipping innererror", function()
      server.faults { status = 400, body = [[{"error":{"code":"invalidRequest","innererror":]] ..
        [[{"code":"x","innerError":{"message":"deep"}},"message":"Bad details","target":"details"}}]] }
      local got, err = client:get(MISSING_ID)
      assert.is_nil(got)
      assert.same({ category = "api", code = "invalidRequest", message = "Bad details",
        target = "details", status = 400, retryable = false, attempts = 1,
        request_id = err.request_id }, plain(err))
    end)

    it("429 carries retry_after from Retry-After, in seconds or as an HTTP-date", function()
      local body = [[{"error":{"code":"throttled","message":"slow down"}}]]
      server.faults { status = 429, retry_after = "7", body = body }
      local _, err = client:get(MISSING_ID)
      assert.same({ "api", "throttled", 429, 7, true },
        { err.category, err.code, err.status, err.retry_after, err.retryable })
      server.faults { status = 429, retry_after = "Wed, 21 Oct 2015 07:28:00 GMT", body = body }
      _, err = client:get(MISSING_ID)
      assert.equal(0, err.retry_after) -- a date in the past: now
      server.faults { status = 429, retry_after = "soon", body = body }
      _, err = client:get(MISSING_ID)
      assert.is_nil(err.retry_after)
    end)

    it("a 2xx whose body is not JSON is a json error", function()
      server.faults { status = 200, body = "not json" }
      local got, err = client:get(MISSING_ID)
      assert.is_nil(got)
      assert.same({ "json", "syntax", 200 }, { err.category, err.code, err.status })
      local ref = create_n(1)[1]
      server.faults { malformed = true }
      got, err = client:get(ref.id)
      assert.is_nil(got)
      assert.same({ "json", 200 }, { err.category, err.status })
    end)

    it("a connection dropped in the middle of the answer is a transport RECV error", function()
      local ref = create_n(1)[1]
      server.faults { drop = true }
      local got, err = client:get(ref.id)
      assert.is_nil(got)
      assert.same({ "transport", "RECV", true }, { err.category, err.code, err.retryable })
      assert.is_table(client:get(ref.id)) -- the handle reconnects for the next call
    end)

    it("connection refused is a transport error", function()
      -- port 1 (tcpmux): nothing listens there
      local other = referrals.new { token = TOKEN, base_url = "http://127.0.0.1:1", retries = 0 }
      local got, err = other:get(MISSING_ID)
      other:close()
      assert.is_nil(got)
      assert.same({ "transport", "CONNECT", true }, { err.category, err.code, err.retryable })
      assert.matches("127.0.0.1", err.message, 1, true)
    end)

    it("an unresolvable host is a transport error", function()
      local other = referrals.new { token = TOKEN, base_url = "http://nonexistent.invalid" }
      local got, err = other:get(MISSING_ID)
      other:close()
      assert.is_nil(got)
      assert.same({ "transport", "RESOLVE", false }, { err.category, err.code, err.retryable })
    end)

    it("a response slower than the timeout is a transport TIMEOUT", function()
      local other = referrals.new { token = TOKEN, base_url = server.base_url, timeout = 0.2,
        retries = 0 }
      server.faults { delay_ms = 1000 }
      local started = os.time()
      local got, err = other:get(MISSING_ID)
      other:close()
      assert.is_nil(got)
      assert.same({ "transport", "TIMEOUT", true }, { err.category, err.code, err.retryable })
      assert.is_true(os.time() - started <= 1)
    end)
  end)

  describe("a token function", function()
    it("is called before each request when it gives no lifetime", function()
      local calls = 0
      local other = referrals.new { base_url = server.base_url,
        token = function() calls = calls + 1; return TOKEN end }
      assert(other:list())
      assert(other:list())
      other:close()
      assert.equal(2, calls)
      for _, r in ipairs(wire()) do assert.equal("Bearer <token>", r.headers.authorization) end
    end)

    it("is called again only when its token nears expiry (expires_in, also as a string)", function()
      -- reused until 5 minutes before it expires (spec §4): a 60 s token is asked for each time
      for ttl, expected_calls in pairs { [3600] = 1, ["3600"] = 1, [60] = 2 } do
        local calls = 0
        local other = referrals.new { base_url = server.base_url,
          token = function() calls = calls + 1; return TOKEN, ttl end }
        assert(other:list())
        assert(other:list())
        other:close()
        assert.equal(expected_calls, calls)
      end
    end)

    it("that raises or returns no string gives an auth error and sends nothing", function()
      local raising = referrals.new { base_url = server.base_url,
        token = function() error("vault is down") end }
      local got, err = raising:list()
      raising:close()
      assert.is_nil(got)
      assert.same({ "auth", "token" }, { err.category, err.code })
      assert.matches("the token function raised an error: .*vault is down", err.message)
      local empty = referrals.new { base_url = server.base_url, token = function() return nil end }
      got, err = empty:list()
      empty:close()
      assert.is_nil(got)
      assert.same({ category = "auth", code = "token", retryable = false,
        message = "the token function returned a nil, not a string" }, plain(err))
      assert.same({}, server.requests())
    end)

    it("that returns a token with CR/LF is refused before sending", function()
      local other = referrals.new { base_url = server.base_url,
        token = function() return "abc\r\nX-Evil: 1" end }
      local got, err = other:list()
      other:close()
      assert.is_nil(got)
      assert.same({ "validation", "header_value", "token" }, { err.category, err.code, err.field })
      assert.is_nil(err.message:find("abc", 1, true))
      assert.same({}, server.requests())
    end)
  end)
end)
