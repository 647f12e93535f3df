-- The `referrals` command (bin/referrals), run as a real process against the bundled fake
-- Partner API: every command, the exit codes, `-` for stdin, the token rules, and the
-- terminal behaviour (indented JSON, the progress bar) under a pseudo-terminal made by
-- `script` (util-linux). The command runs under the interpreter busted runs under, with the
-- module from LUA_PATH/LUA_CPATH (tools/run-tests.sh), so each Lua tests its own build.
local cjson = require "cjson"
local fixtures = require "fixtures"
local helper = require "helper"

local TOKEN = "cli-token-5b0c2e"
local BIN = "bin/referrals"

-- The interpreter running this spec: the lowest index of `arg` ("lua5.1", "luajit", ...).
local LUA = helper.interpreter()
local quote = helper.quote

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

local function spit(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local dir, remove_dir

-- Runs `referrals argv...` with opts.env (name -> value, false unsets) and opts.stdin;
-- returns { code =, out =, err = }. With opts.tty it runs under `script`, so stdout and
-- stderr are a terminal, and what it wrote to the terminal is in out; opts.stdout then
-- names a file that takes its stdout instead, so the terminal shows stderr alone.
local function referrals(argv, opts)
  -- The command loads the module this spec loaded (busted may have set the paths itself).
  local unset, set = {}, { quote("LUA_PATH=" .. package.path), quote("LUA_CPATH=" .. package.cpath) }
  for k, v in pairs(opts.env) do
    if v then set[#set + 1] = quote(k .. "=" .. v) else unset[#unset + 1] = "-u " .. k end
  end
  local cmd = { "env", table.concat(unset, " "), table.concat(set, " "), quote(LUA), BIN }
  for _, a in ipairs(argv) do cmd[#cmd + 1] = quote(a) end
  local line = table.concat(cmd, " ")
  spit(dir .. "/in", opts.stdin or "")
  if opts.tty then
    if opts.stdout then line = line .. " >" .. quote(opts.stdout) end
    -- -e: script exits with the command's status; -f: flush at once; -q: no banner.
    line = "script -qefc " .. quote(line) .. " /dev/null"
  end
  local status, _, code = os.execute(line .. " <" .. dir .. "/in >" .. dir .. "/out 2>" .. dir .. "/err")
  -- 5.1 and LuaJIT: the wait status (exit code * 256); 5.2+: true|nil, "exit", code.
  if type(status) == "number" then code = math.floor(status / 256) end
  return { code = code, out = slurp(dir .. "/out"), err = slurp(dir .. "/err") }
end

describe("the referrals command", function()
  local server, env, request

  setup(function()
    dir, remove_dir = helper.tempdir()
    server = helper.start { "--token", TOKEN, "--page-size", "2" }
    env = { REFERRALS_TOKEN = TOKEN, REFERRALS_BASE_URL = server.base_url }
    request = fixtures.read("create-request.json")
  end)

  teardown(function()
    server.stop()
    remove_dir()
  end)

  before_each(function() server.reset() end)

  local function run(argv, opts)
    opts = opts or {}
    opts.env = opts.env or env
    return referrals(argv, opts)
  end


  -- Runs a command that must succeed; returns its stdout decoded.
  local function ok(argv, opts)
    local r = run(argv, opts)
    assert.are.equal("", r.err)
    assert.are.equal(0, r.code)
    return cjson.decode(r.out)
  end

  local function file(name, text)
    spit(dir .. "/" .. name, text)
    return dir .. "/" .. name
  end

  local function one_line(text) return text:match("^[^\n]+\n$") ~= nil end

  describe("without a server", function()
    it("prints its version", function()
      local r = run { "--version" }
      assert.are.equal(0, r.code)
      assert.are.equal("referrals " .. require("referrals").VERSION,
        r.out:match("^(referrals %S+) %(.+%)\n$"))
    end)

    it("prints help for the program and for each command", function()
      local r = run { "--help" }
      assert.are.equal(0, r.code)
      for _, c in ipairs { "create", "share", "get", "list", "update", "bulk", "sync", "webhook",
        "validate", "login", "logout", "whoami" } do
        assert.truthy(r.out:find("\n  " .. c .. " ", 1, true), c)
        local h = run { c, "--help" }
        assert.are.equal(0, h.code)
        assert.truthy(h.out:find("^usage: referrals " .. c), c)
      end
    end)

    it("lists for login, logout and whoami only the options they use, and refuses the others", function()
      for _, c in ipairs { "login", "logout", "whoami" } do
        local h = run { c, "--help" }
        assert.truthy(h.out:find("--json-errors", 1, true), c)
        for _, o in ipairs { "--base-url", "--token-command", "--timeout", "--retries", "--deadline" } do
          assert.is_nil(h.out:find("\n  " .. o .. " ", 1, true), c .. " " .. o)
        end
        local r = run { c, "--token-command", "true" }
        assert.same({ code = 2, out = "",
          err = "referrals: usage error (usage): unknown option '--token-command' (see referrals --help)\n" }, r)
      end
      assert.truthy(run({ "login", "--help" }).out:find("$REFERRALS_AUTHORITY", 1, true))
    end)

    it("exits 2 with one line on stderr on a usage error", function()
      for _, argv in ipairs { {}, { "frobnicate" }, { "get" }, { "get", "a", "b" },
        { "list", "--bogus" }, { "list", "--filter" }, { "list", "--all=yes" },
        { "bulk", "x.jsonl", "--concurrency", "0" } } do
        local r = run(argv)
        assert.are.equal(2, r.code, table.concat(argv, " "))
        assert.is_true(one_line(r.err), r.err)
        assert.are.equal("", r.out)
      end
      assert.are.equal(0, #server.requests())
    end)

    it("refuses a token on the command line, and never echoes it", function()
      local r = run { "get", "x", "--token", "sekrit-on-the-line" }
      assert.are.equal(2, r.code)
      assert.falsy(r.err:find("sekrit", 1, true))
      assert.truthy(r.err:find("REFERRALS_TOKEN", 1, true))
    end)

    it("exits 2 without a token", function()
      local r = run({ "get", "x" }, { env = { REFERRALS_TOKEN = false } })
      assert.are.equal(2, r.code)
      assert.truthy(r.err:find("no token", 1, true))
    end)

    it("validates a file offline, or stdin with -", function()
      assert.same({ valid = true }, ok({ "validate", file("ok.json", request) },
        { env = { REFERRALS_BASE_URL = "http://127.0.0.1:1", REFERRALS_TOKEN = false } }))
      assert.same({ valid = true }, ok({ "validate", "-" }, { stdin = request }))
      local r = run({ "validate", "-", "--json-errors" }, { stdin = '{"type":"Sharde"}' })
      assert.are.equal(3, r.code)
      local line, json = r.err:match("^(referrals: [^\n]+)\n.-([^\n]+)\n$")
      assert.truthy(line:find('type: not one of', 1, true), line)
      assert.falsy(line:find('Sharde', 1, true), line) -- the input is never quoted (issue 13)
      local e = cjson.decode(json)
      assert.same({ "validation", "enum", "type" }, { e.category, e.code, e.field })
      local bad = run { "validate", file("bad.json", "{not json") }
      assert.are.equal(1, bad.code)
      assert.truthy(bad.err:find("json error", 1, true), bad.err)
      assert.truthy(bad.err:find("bad.json: invalid JSON", 1, true), bad.err)
      assert.are.equal(2, run({ "validate", dir .. "/missing.json" }).code)
    end)
  end)

  describe("against the server", function()
    it("creates from a file and from stdin, sending the token it was given", function()
      local a = ok { "create", file("req.json", request) }
      local b = ok({ "create", "-" }, { stdin = request })
      assert.are.equal(cjson.decode(request).name, a.name)
      assert.are_not.equal(a.id, b.id)
      local wire = server.requests()
      assert.are.equal(2, #wire)
      for _, w in ipairs(wire) do
        assert.same({ "POST", "Bearer <token>" }, { w.method, helper.wire(w, TOKEN).headers.authorization })
        assert.same(cjson.decode(request).customerProfile.name, cjson.decode(w.body).customerProfile.name)
      end
    end)

    it("sends nothing for an invalid referral and exits 3", function()
      local r = run({ "create", "-" }, { stdin = '{"type":"Independent"}' })
      assert.are.equal(3, r.code)
      assert.are.equal(0, #server.requests())
    end)

    it("gets a referral, and exits 1 with the API's error for a missing one", function()
      local created = ok({ "create", "-" }, { stdin = request })
      assert.are.equal(created.id, ok({ "get", created.id }).id)
      local r = run { "get", "00000000-0000-4000-8000-000000000000", "--json-errors" }
      assert.are.equal(1, r.code)
      local line, json = r.err:match("^([^\n]+)\n([^\n]+)\n$")
      assert.truthy(line:find("^referrals: api error %(itemNotFound%): .*%[HTTP 404, request%-id "))
      local e = cjson.decode(json)
      assert.same({ "api", "itemNotFound", 404, false }, { e.category, e.code, e.status, e.retryable })
    end)

    it("exits 4 when the server cannot be reached", function()
      local r = run { "get", "x", "--base-url", "http://127.0.0.1:1" }
      assert.are.equal(4, r.code)
      assert.truthy(r.err:find("^referrals: transport error"))
    end)

    it("takes the token from --token-command, and never shows it", function()
      local e = { REFERRALS_TOKEN = false, REFERRALS_BASE_URL = server.base_url }
      assert.are.same({}, ok({ "list", "--token-command", "echo " .. TOKEN }, { env = e }))
      local wrong = run({ "list", "--token-command", "echo not-the-token" }, { env = e })
      assert.are.equal(1, wrong.code)
      local failed = run({ "list", "--token-command", "echo " .. TOKEN .. "; exit 7" }, { env = e })
      assert.are.equal(1, failed.code)
      assert.truthy(failed.err:find("status 7", 1, true))
      for _, r in ipairs { wrong, failed } do
        assert.falsy(r.err:find(TOKEN, 1, true))
        assert.falsy(r.err:find("not-the-token", 1, true))
      end
    end)

    it("lists one page, or every page with --all, with the filters of the options", function()
      assert.same({}, ok { "list" })
      local created = {}
      for i = 1, 3 do created[i] = ok({ "create", "-" }, { stdin = request }) end
      assert.are.equal(2, #ok { "list" })
      local all = ok { "list", "--all" }
      assert.same({ created[1].id, created[2].id, created[3].id }, { all[1].id, all[2].id, all[3].id })
      server.reset()
      local mine = ok { "list", "--engagement", created[2].engagementId, "--status", "Active" }
      assert.are.same({}, mine) -- the reset emptied the server; the query is what counts here
      ok { "list", "--filter", "type eq 'Shared'" }
      local wire = server.requests()
      assert.are.equal("$filter=engagementId%20eq%20%27" .. created[2].engagementId
        .. "%27%20and%20status%20eq%20%27Active%27", wire[1].query)
      assert.are.equal("$filter=type%20eq%20%27Shared%27", wire[2].query)
      assert.are.equal(2, run({ "list", "--filter", "x", "--status", "Active" }).code)
    end)

    it("updates with PATH=text and PATH:=json, and sends --etag as If-Match", function()
      local created = ok({ "create", "-" }, { stdin = request })
      local since = #server.requests()
      local updated = ok { "update", created.id, "status=Closed", "substatus=Won",
        "details.dealValue:=10000", "--etag", created.eTag }
      assert.same({ "Closed", "Won", 10000 }, { updated.status, updated.substatus, updated.details.dealValue })
      local w = server.requests(since)[1]
      assert.same({ "PATCH", created.eTag }, { w.method, w.headers["if-match"] })
      assert.same({
        { op = "replace", path = "/details/dealValue", value = 10000 },
        { op = "replace", path = "/status", value = "Closed" },
        { op = "replace", path = "/substatus", value = "Won" },
      }, cjson.decode(w.body))
      local stale = run { "update", created.id, "status=Closed", "--etag", created.eTag }
      assert.are.equal(1, stale.code)
      assert.truthy(stale.err:find("preconditionFailed", 1, true))
      assert.are.equal(2, run({ "update", created.id, "status" }).code)
      assert.are.equal(2, run({ "update", created.id, "details.dealValue:={" }).code)
      assert.are.equal(3, run({ "update", created.id, "id=x" }).code)
    end)

    it("shares: both halves of one engagement, the second for the partner", function()
      local both = ok { "share", file("req.json", request), "--partner", "p-77", "--notes", "see you" }
      assert.are.equal(2, #both)
      assert.are.equal(both[1].engagementId, both[2].engagementId)
      assert.same({ "Shared", "Shared" }, { both[1].type, both[2].type })
      assert.same({ { type = "BusinessProfileLocation", id = "p-77" } }, both[2].target)
      assert.are.equal("see you", both[2].inviteContext.notes)
    end)

    it("bulk-creates one referral per line, results in input order", function()
      local one = cjson.decode(request)
      one.name = "first"
      local two = cjson.decode(request)
      two.name = "second"
      local input = cjson.encode(one) .. "\n\n" .. '{"type":"Nope"}\n' .. cjson.encode(two) .. "\n"
      for _, source in ipairs { { file("in.jsonl", input) }, { "-", stdin = input } } do
        server.reset()
        local r = run({ "bulk", source[1], "--concurrency", "4" }, { stdin = source.stdin })
        assert.are.equal(3, r.code)
        assert.is_true(one_line(r.err), r.err)
        local lines = {}
        for l in r.out:gmatch("[^\n]+") do lines[#lines + 1] = cjson.decode(l) end
        assert.are.equal(3, #lines)
        assert.are.equal("first", lines[1].name)
        assert.same({ 3, "validation", "enum" }, { lines[2].line, lines[2].error.category, lines[2].error.code })
        assert.are.equal("second", lines[3].name)
        local stored = server.referrals() -- in the order they arrived: any, with 4 in flight
        local names = { stored[1].name, stored[2].name }
        table.sort(names)
        assert.same({ "first", "second" }, names)
      end
      assert.are.equal(0, run({ "bulk", "-" }, { stdin = request:gsub("\n", "") .. "\n" }).code)
    end)

    it("bulk-creates with --concurrency requests in flight", function()
      server.faults { { delay_ms = 300, count = 4, match = { method = "POST" } } }
      local r = run({ "bulk", "-", "--concurrency", "4" }, { stdin = (request:gsub("\n", "") .. "\n"):rep(4) })
      assert.are.equal(0, r.code)
      assert.are.equal(4, server.control("GET", "stats").max_in_flight)
    end)
  end)

  describe("for a new user", function()
    it("refuses an enum value in the wrong case in --status, naming the right one", function()
      local r = run { "list", "--status", "active" }
      assert.are.equal(3, r.code)
      assert.truthy(r.err:find('did you mean "Active"?', 1, true), r.err)
      assert.are.equal(0, #server.requests())
    end)

    it("takes PATH=text as a number where the member is one, and suggests a mistyped path", function()
      local created = ok({ "create", "-" }, { stdin = request })
      local since = #server.requests()
      local updated = ok { "update", created.id, "details.dealValue=100" }
      assert.are.equal(100, updated.details.dealValue)
      assert.same({ { op = "replace", path = "/details/dealValue", value = 100 } },
        cjson.decode(server.requests(since)[1].body))
      local nan = run { "update", created.id, "details.dealValue=lots" }
      assert.are.equal(2, nan.code)
      assert.truthy(nan.err:find("details.dealValue is a number", 1, true), nan.err)
      local typo = run { "update", created.id, "details.dealvalue=100" }
      assert.are.equal(3, typo.code)
      assert.truthy(typo.err:find('did you mean "dealValue"?', 1, true), typo.err)
    end)

    it("prints every validation problem, one line each", function()
      local r = run({ "validate", "-" }, { stdin = '{"type":"Sharde","id":"x"}' })
      assert.are.equal(3, r.code)
      local lines = {}
      for l in r.err:gmatch("[^\n]+") do lines[#lines + 1] = l end
      assert.is_true(#lines >= 4, r.err) -- type, id, and the three required members
      assert.truthy(r.err:find('type: not one of', 1, true), r.err)
      assert.truthy(r.err:find("id: read-only", 1, true), r.err)
      assert.truthy(r.err:find("customerProfile: required", 1, true), r.err)
    end)

    it("bulk writes every problem of a refused line in its JSON, and one line on stderr", function()
      local r = run({ "bulk", "-" }, { stdin = '{"type":"Sharde","id":"x"}\n' })
      assert.are.equal(3, r.code)
      assert.is_true(one_line(r.err), r.err)
      local e = cjson.decode(r.out).error
      local got = {}
      for i, p in ipairs(e.errors) do got[i] = p.field .. ":" .. p.code end
      assert.same({ "id:read_only", "type:enum", "customerProfile:required", "consent:required",
        "details:required" }, got)
      assert.are.equal(0, #server.requests())
    end)

    it("reads a file that is not JSON as a JSON error with its position", function()
      local r = run({ "validate", "-", "--json-errors" }, { stdin = '{"type": Shared}' })
      assert.are.equal(1, r.code)
      local e = cjson.decode(r.err:match("\n([^\n]+)\n$"))
      assert.same({ "json", "stdin" }, { e.category, e.field })
      assert.are.equal(9, e.position)
    end)

    it("bulk runs 8 requests in flight by default, as create_many does", function()
      server.faults { { delay_ms = 400, count = 16, match = { method = "POST" } } }
      local r = run({ "bulk", "-" }, { stdin = (request:gsub("\n", "") .. "\n"):rep(16) })
      assert.are.equal(0, r.code, r.err)
      assert.are.equal(8, server.control("GET", "stats").max_in_flight)
    end)

    it("takes --retries, --timeout and --deadline", function()
      server.faults { status = 503, count = 3, match = { method = "GET" } }
      local r = run { "get", "x-1", "--retries", "0", "--timeout", "5", "--deadline", "10" }
      assert.are.equal(1, r.code)
      assert.are.equal(1, #server.requests())
      assert.are.equal(2, run({ "get", "x-1", "--retries", "many" }).code)
    end)

    it("names the step-1 referral when step 2 fails, and share --resume finishes it", function()
      server.faults { { delay_ms = 1, count = 1, match = { method = "POST" } },
        { status = 400, count = 1, match = { method = "POST" },
          body = [[{"error":{"code":"badRequest","message":"no"}}]] } }
      local r = run { "share", file("req.json", request) }
      assert.are.equal(1, r.code)
      local stored = server.referrals()
      assert.are.equal(1, #stored)
      assert.truthy(r.err:find("step 1 created " .. stored[1].id, 1, true), r.err)
      assert.truthy(r.err:find("referrals share --resume " .. stored[1].id, 1, true), r.err)
      local both = ok { "share", "--resume", stored[1].id }
      assert.same({ stored[1].id, stored[1].engagementId }, { both[1].id, both[2].engagementId })
      assert.are.equal(2, #server.referrals())
      ok { "share", "--resume", stored[1].id } -- twice: still one connected half
      assert.are.equal(2, #server.referrals())
    end)
  end)

  describe("on a terminal", function()
    it("indents JSON on a terminal, one line in a pipe", function()
      local r = run({ "validate", file("ok.json", request) }, { tty = true })
      assert.are.equal(0, r.code)
      assert.are.equal('{\r\n  "valid": true\r\n}\r\n', r.out)
      assert.are.equal('{"valid":true}\n', run({ "validate", dir .. "/ok.json" }).out)
    end)

    it("draws a progress bar on stderr for bulk and list --all, only there", function()
      local input = (request:gsub("\n", "") .. "\n"):rep(3) .. "{}\n"
      local jsonl = file("in.jsonl", input)
      local r = run({ "bulk", jsonl }, { tty = true, stdout = dir .. "/bulk.out" })
      assert.are.equal(3, r.code)
      -- A run this short shows no rate: under two seconds it would be the clock's rounding.
      assert.truthy(r.out:find("\r%[" .. ("#"):rep(30) .. "%] 4/4  1 failed"), r.out)
      assert.truthy(r.out:find("\r[" .. ("."):rep(30) .. "] 0/4  0 failed \r[#", 1, true), r.out)
      assert.falsy(r.out:find("/s", 1, true), r.out)
      assert.are.equal(4, #slurp(dir .. "/bulk.out"):gsub("[^\n]", ""))
      local piped = run { "bulk", jsonl }
      assert.are.equal(3, piped.code)
      assert.is_true(one_line(piped.err), piped.err)

      server.reset()
      for _ = 1, 3 do ok({ "create", "-" }, { stdin = request }) end
      local listed = run({ "list", "--all" }, { tty = true, stdout = "/dev/null" })
      assert.are.equal(0, listed.code)
      assert.truthy(listed.out:find("%] 2/3  0 failed \r%[#+%] 3/3  "), listed.out)
      assert.are.equal("", run({ "list", "--all" }).err)
    end)
  end)

  describe("webhook", function()
    local HOOK = "https://receiver.example.com/hook"
    local hook_env

    before_each(function()
      hook_env = { REFERRALS_TOKEN = false, REFERRALS_WEBHOOK_TOKEN = TOKEN,
        REFERRALS_WEBHOOK_BASE_URL = server.base_url, XDG_CONFIG_HOME = dir }
    end)

    local function hook(argv, opts)
      opts = opts or {}
      opts.env = opts.env or hook_env
      return run(argv, opts)
    end

    local function hook_ok(argv)
      local r = hook(argv)
      assert.are.equal("", r.err)
      assert.are.equal(0, r.code)
      return cjson.decode(r.out)
    end

    it("registers, shows, updates and lists the events, printing what referrals.webhooks returns", function()
      local reg = hook_ok { "webhook", "register", "--url", HOOK, "--events",
        "referral-created, test-created" }
      assert.truthy(reg.subscriber_id:match(helper.GUID))
      assert.same({ subscriber_id = reg.subscriber_id, url = HOOK,
        events = { "referral-created", "test-created" }, signature_header = false }, reg)
      assert.same({ method = "POST", path = "/webhooks/v1/registration", query = "",
        headers = helper.headers(server, { ["content-length"] = "<body length>" }),
        body = { WebhookUrl = HOOK, WebhookEvents = { "referral-created", "test-created" },
          SignatureTokenToMsSignatureHeader = false } }, server.wire(0, TOKEN)[1])
      assert.same(reg, hook_ok { "webhook", "show" })
      reg.signature_header = true
      assert.same(reg, hook_ok { "webhook", "update", "--signature-header" })
      reg.events = { "referral-updated" }
      reg.signature_header = false
      assert.same(reg, hook_ok { "webhook", "update", "--events", "referral-updated",
        "--authorization-header" })
      assert.same({ "referral-created", "referral-updated", "related-referral-created",
        "related-referral-updated", "test-created" }, hook_ok { "webhook", "events" })
    end)

    it("sends a test event and prints its status, attempts a list even when empty", function()
      hook_ok { "webhook", "register", "--url", HOOK, "--events", "test-created" }
      local id = hook_ok({ "webhook", "test" }).correlation_id
      assert.truthy(id:match(helper.GUID))
      local r = hook { "webhook", "status", id }
      assert.are.equal(0, r.code)
      assert.truthy(r.out:find('"attempts":[]', 1, true), r.out)
      local status = cjson.decode(r.out)
      assert.same({ correlation_id = id, partner_id = status.partner_id, status = "pending",
        callback_url = HOOK, attempts = {} }, status)
    end)

    it("exits 1 with the service's error: 409 on a second register, 429 on a third test", function()
      hook_ok { "webhook", "register", "--url", HOOK, "--events", "test-created" }
      local again = hook { "webhook", "register", "--url", HOOK, "--events", "test-created" }
      assert.are.equal(1, again.code)
      assert.truthy(again.err:find("^referrals: api error %(conflict%): .*%[HTTP 409"), again.err)
      assert.is_true(one_line(again.err), again.err)
      hook_ok { "webhook", "test" }
      hook_ok { "webhook", "test" }
      local third = hook { "webhook", "test", "--retries", "0", "--json-errors" }
      assert.are.equal(1, third.code)
      local e = cjson.decode(third.err:match("\n([^\n]+)\n$"))
      assert.same({ "api", 429 }, { e.category, e.status })
      assert.truthy(e.retry_after > 0)
    end)

    it("takes its token from REFERRALS_WEBHOOK_TOKEN or --token-command, never from REFERRALS_TOKEN", function()
      local none = hook({ "webhook", "show" }, { env = { REFERRALS_WEBHOOK_TOKEN = false,
        REFERRALS_TOKEN = TOKEN, REFERRALS_WEBHOOK_BASE_URL = server.base_url,
        XDG_CONFIG_HOME = dir } })
      assert.are.equal(2, none.code)
      assert.truthy(none.err:find("no token: set REFERRALS_WEBHOOK_TOKEN", 1, true), none.err)
      assert.same({}, server.requests())
      local e = { REFERRALS_WEBHOOK_TOKEN = false, REFERRALS_WEBHOOK_BASE_URL = server.base_url,
        XDG_CONFIG_HOME = dir }
      assert.are.equal(5, #cjson.decode(hook({ "webhook", "events", "--token-command",
        "echo " .. TOKEN }, { env = e }).out))
      local wrong = hook({ "webhook", "events", "--token-command", "echo not-the-token" }, { env = e })
      assert.are.equal(1, wrong.code)
      assert.truthy(wrong.err:find("(unauthenticated)", 1, true), wrong.err)
      assert.falsy(wrong.err:find("not-the-token", 1, true))
    end)

    it("refuses wrong use with exit 2, sending nothing", function()
      for _, argv in ipairs {
        { "webhook", "nope" },
        { "webhook", "status" },
        { "webhook", "show", "extra" },
        { "webhook", "register", "--url", HOOK },
        { "webhook", "update" },
        { "webhook", "update", "--signature-header", "--authorization-header" },
        { "webhook", "register", "--url", HOOK, "--events", " , " },
      } do
        local r = hook(argv)
        assert.are.equal(2, r.code, table.concat(argv, " "))
        assert.is_true(one_line(r.err), r.err)
      end
      assert.same({}, server.requests())
    end)
  end)
end)

describe("the referrals command over HTTPS with a private CA", function()
  local KEYS = "tests/fixtures/webhook/"
  local server

  setup(function()
    dir, remove_dir = helper.tempdir()
    server = helper.start { "--token", TOKEN, "--cert", KEYS .. "server.pem", "--key", KEYS .. "server.key" }
  end)
  teardown(function()
    server.stop()
    remove_dir()
  end)

  it("trusts the CA of REFERRALS_CA_FILE, for the Referrals API and the registration API", function()
    local env = { REFERRALS_TOKEN = TOKEN, REFERRALS_BASE_URL = server.base_url,
      REFERRALS_WEBHOOK_TOKEN = TOKEN, REFERRALS_WEBHOOK_BASE_URL = server.base_url,
      XDG_CONFIG_HOME = dir }
    local refused = referrals({ "list", "--retries", "0" }, { env = env })
    assert.are.equal(4, refused.code)
    assert.truthy(refused.err:find("^referrals: transport error %(TLS%)"), refused.err)
    env.REFERRALS_CA_FILE = KEYS .. "ca.pem"
    local list = referrals({ "list" }, { env = env })
    assert.same({ code = 0, out = "[]\n", err = "" }, list)
    local show = referrals({ "webhook", "show" }, { env = env })
    assert.are.equal(1, show.code)
    assert.truthy(show.err:find("^referrals: api error %(itemNotFound%).*%[HTTP 404"), show.err)
  end)
end)
