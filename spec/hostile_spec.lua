-- Hostile input (issue 13): the fourteen probes that did not hold, each refused cleanly --
-- nil, err with a category and code, or a raise for a bad argument -- against the bundled
-- server's fault modes (a body, headers, a Content-Type, a slow drip: fake-server/README.md).
local referrals = require "referrals"
local helper = require "helper"

local TOKEN = "hostile-token-42"
local COLLECTION = "/v1.0/engagements/referrals"
local ID = "00000000-0000-4000-8000-000000000000"
local LUA = helper.interpreter()
local quote = helper.quote

-- Runs the referrals command with env (name -> value); returns { code, out, err }.
local function cli(argv, env)
  local dir, remove = helper.tempdir()
  local cmd = { "env", "LUA_PATH=" .. quote(package.path), "LUA_CPATH=" .. quote(package.cpath) }
  for k, v in pairs(env) do cmd[#cmd + 1] = quote(k .. "=" .. v) end
  cmd[#cmd + 1] = quote(LUA) .. " bin/referrals"
  for _, a in ipairs(argv) do cmd[#cmd + 1] = quote(a) end
  local status, _, code = os.execute(table.concat(cmd, " ") .. " </dev/null >" .. dir ..
    "/out 2>" .. dir .. "/err")
  if type(status) == "number" then code = math.floor(status / 256) end
  local function slurp(name)
    local f = assert(io.open(dir .. "/" .. name, "rb"))
    local text = f:read("*a")
    f:close()
    return text
  end
  local r = { code = code, out = slurp("out"), err = slurp("err") }
  remove()
  return r
end

-- Queues a fault whose description is too long for a command line, through a file.
local function big_fault(server, json)
  local dir, remove = helper.tempdir()
  local f = assert(io.open(dir .. "/fault.json", "wb"))
  f:write(json)
  f:close()
  local ok = helper.sh("env -u LD_PRELOAD curl -sS -f -X POST -H 'Content-Type: application/json' " ..
    "--data-binary @" .. quote(dir .. "/fault.json") .. " " .. quote(server.base_url .. "/_fake/faults"))
  remove()
  assert(ok, "the fault was not queued")
end

-- No control byte (C0, DEL, C1) in text: what a terminal would act on.
local function terminal_safe(text)
  return not text:find("[%z\1-\31\127]") and not text:find("\194[\128-\159]")
end

describe("hostile input", function()
  local server, client, env

  setup(function()
    server = helper.start { "--token", TOKEN, "--page-size", "2" }
    client = referrals.new { token = TOKEN, base_url = server.base_url, retries = 0, timeout = 20 }
    env = { REFERRALS_TOKEN = TOKEN, REFERRALS_BASE_URL = server.base_url }
  end)

  teardown(function()
    client:close()
    server.stop()
  end)

  before_each(function() server.reset() end)

  it("1: refuses the ids '.' and '..', given or from the server, and never sends them", function()
    for _, id in ipairs { ".", "..", "a/../b", "%2e" } do
      local got, err = client:get(id)
      assert.is_nil(got)
      assert.same({ "validation", "id" }, { err.category, err.code })
      got, err = client:update(id, { status = "New" })
      assert.is_nil(got)
      assert.same({ "validation", "id" }, { err.category, err.code })
    end
    -- an id the server supplied, in a referral read back
    local got, err = client:update({ id = ".", status = "New" }, { status = "Active" })
    assert.is_nil(got)
    assert.equal("id", err.code)
    local results = assert(client:get_many { ".", ".." })
    assert.same({ "id", "id" }, { results[1].code, results[2].code })
    assert.same({}, server.requests())
    -- a next link with dot segments leads to the collection or nowhere
    for _, link in ipairs { "/./x/..?$skiptoken=2", "/.?$skiptoken=2", "/%2e?$skiptoken=2" } do
      local page, lerr = client:list(server.base_url .. COLLECTION .. link)
      assert.truthy(page or lerr.code == "foreign_next_link")
    end
    for _, r in ipairs(server.requests()) do assert.equal(COLLECTION, r.path) end
  end)

  it("2: bounds what one answer decodes to (16 times its length plus 1 MiB)", function()
    local items = ("{},"):rep(1000000) -- 3 MB; 730 MB of structs if decoded
    big_fault(server, '{"status":200,"match":{"method":"GET"},"body":"{\\"value\\":[' ..
      items .. '{}]}"}')
    local page, err = client:list()
    assert.is_nil(page)
    assert.same({ "json", "decoded_too_large" }, { err.category, err.code })
    local ref
    ref, err = referrals.decode('{"target":[' .. ("{},"):rep(200000) .. '{}]}')
    assert.is_nil(ref)
    assert.equal("decoded_too_large", err.code)
  end)

  it("3: stops at a next link that leads back: related, each, list --all", function()
    local self_link = server.base_url .. COLLECTION .. "?$skiptoken=loop"
    local body = '{"value":[{"id":"a","engagementId":"e"}],"@odata.nextLink":"' .. self_link .. '"}'
    server.faults { status = 200, body = body, count = 50, match = { method = "GET" } }
    local all, err = client:related("e")
    assert.is_nil(all)
    assert.same({ "json", "next_link_loop" }, { err.category, err.code })
    assert.equal(2, #server.requests()) -- the first page, the link once
    server.reset()
    server.faults { status = 200, body = body, count = 50, match = { method = "GET" } }
    local ok, raised = pcall(function()
      for _ in client:each() do end
    end)
    assert.is_false(ok)
    assert.equal("next_link_loop", raised.code)
    server.reset()
    server.faults { status = 200, body = body, count = 50, match = { method = "GET" } }
    local r = cli({ "list", "--all" }, env)
    assert.equal(1, r.code, r.err)
    assert.truthy(r.err:find("next_link_loop", 1, true), r.err)
  end)

  it("4: escapes control bytes of the API's error and a Content-Type; raw message kept", function()
    server.faults { status = 404, match = { method = "GET" },
      body = '{"error":{"code":"itemNotFound\\u001b[2J","message":"gone\\u0007\\nbye\\u009b",' ..
        '"target":"x\\u001b]0;pwn\\u0007"}}' }
    local got, err = client:get(ID)
    assert.is_nil(got)
    assert.same({ "api", "itemNotFound\\x1b[2J", "gone\\x07\\x0abye\\xc2\\x9b", "x\\x1b]0;pwn\\x07" },
      { err.category, err.code, err.message, err.target })
    assert.equal("gone\a\nbye\194\155", err.raw_message)
    assert.is_true(terminal_safe(tostring(err)))
    server.faults { status = 200, body = "<html>", content_type = "text/html;\tx=\127", match = { method = "GET" } }
    got, err = client:get(ID)
    assert.is_nil(got)
    assert.equal("content_type", err.code)
    assert.is_true(terminal_safe(err.message), err.message)
    server.faults { status = 404, match = { method = "GET" },
      body = '{"error":{"code":"itemNotFound\\u001b[2J","message":"gone\\u0007"}}' }
    local r = cli({ "get", ID, "--json-errors" }, env)
    assert.equal(1, r.code)
    assert.is_true(terminal_safe(r.err:gsub("\n", "")), r.err)
  end)

  it("5: never shows proxy credentials in an error, from the option or http_proxy", function()
    local c = referrals.new { token = TOKEN, base_url = server.base_url, retries = 0,
      proxy = "http://user:PW-s3cret@127.0.0.1:99999" }
    local got, err = c:get(ID)
    c:close()
    assert.is_nil(got)
    assert.equal("transport", err.category)
    assert.is_nil(err.message:find("s3cret", 1, true), err.message)
    local e = {}
    for k, v in pairs(env) do e[k] = v end
    e.http_proxy = "http://user:PW-s3cret@127.0.0.1:99999"
    local r = cli({ "get", ID }, e)
    assert.equal(4, r.code, r.err)
    assert.is_nil(r.err:find("s3cret", 1, true), r.err)
  end)

  it("6: raises for a NUL in any option or query string, instead of cutting it short", function()
    for _, opts in ipairs {
      { user_agent = "x\0\r\nX-Injected: 1" }, { correlation_id = "c\0d" },
      { base_url = server.base_url .. "\0/x" }, { proxy = "http://127.0.0.1:1\0x" },
      { token = "abc\0def" },
    } do
      opts.token = opts.token or TOKEN
      opts.base_url = opts.base_url or server.base_url
      local ok = pcall(referrals.new, opts)
      assert.is_false(ok)
    end
    assert.matches("without NUL", helper.raised(client.list, client, { filter = "status eq 'A'\0 or 1 eq 1" }))
    assert.matches("without NUL", helper.raised(client.list, client, { filter = { status = "A\0" } }))
    assert.matches("without NUL", helper.raised(client.list, client, { orderby = "id\0x" }))
    assert.same({}, server.requests())
  end)

  it("7: refuses every control byte in header values: options, a token, an eTag", function()
    for _, bad in ipairs { "a\1b", "a\127b", "a\tb", "a\27[2Jb" } do
      for _, name in ipairs { "user_agent", "correlation_id" } do
        assert.matches("contains a control byte",
          helper.raised(referrals.new, { token = TOKEN, base_url = server.base_url, [name] = bad }))
      end
      assert.matches("not a bearer token",
        helper.raised(referrals.new, { token = bad, base_url = server.base_url }))
      local got, err = client:update(ID, { status = "New" }, { etag = bad })
      assert.is_nil(got)
      assert.same({ "validation", "header_value", "etag" }, { err.category, err.code, err.field })
    end
    assert.matches("not a bearer token",
      helper.raised(referrals.new, { token = "two words", base_url = server.base_url }))
    local c = referrals.new { token = function() return "tab\there", 3600 end,
      base_url = server.base_url, retries = 0 }
    local got, err = c:get(ID)
    c:close()
    assert.is_nil(got)
    assert.truthy(err.category)
    assert.same({}, server.requests())
  end)

  it("8: the CLI prints a page holding null and odd values, never a traceback", function()
    server.faults { status = 200, match = { method = "GET" },
      body = '{"value":[null,{"id":"b","x":[[],{},null,1e300,"\\u001b"]},true,"s",[]]}' }
    local r = cli({ "list" }, env)
    assert.equal(0, r.code, r.err)
    assert.equal("", r.err)
    assert.truthy(r.out:find('^%[null,{"id":"b","x":%[%[%],{},null,'), r.out)
    assert.is_true(terminal_safe(r.out:gsub("\n$", "")))
    server.faults { status = 200, match = { method = "GET" }, body = '{"id":null}' }
    r = cli({ "get", ID }, env)
    assert.is_nil(r.err:find("traceback", 1, true), r.err)
  end)

  it("9: refuses bytes after a NUL at the end of a document", function()
    local ref, err = referrals.decode('{"id":"a"}\0garbage')
    assert.is_nil(ref)
    assert.same({ "json", "syntax", 10 }, { err.category, err.code, err.position })
    ref, err = referrals.decode('{"id":"a"}\0')
    assert.is_nil(ref)
    assert.equal("syntax", err.code)
  end)

  it("10: reports an oversized response header as a transport error, not out of memory", function()
    big_fault(server, '{"status":404,"match":{"method":"GET"},"headers":{"X-Big":"' ..
      ("a"):rep(200000) .. '"}}')
    local got, err = client:get(ID)
    assert.is_nil(got)
    assert.same({ "transport", "HEADER_TOO_LARGE" }, { err.category, err.code })
  end)

  it("11: validation messages name the field and the rule, never the value", function()
    local secret = "PRIVATE-STATUS-VALUE"
    for _, case in ipairs {
      { { status = secret }, "enum", "status", secret, "update" },
      { { details = { closingDateTime = "PRIVATE-2019" } }, "datetime", "details.closingDateTime",
        "PRIVATE-2019", "update" },
      { { customerProfile = { PRIVATEKEY = 1 } }, "unknown_key", "customerProfile", "PRIVATEKEY",
        "create" },
    } do
      local ok, err = referrals.validate(case[1], case[5])
      assert.is_nil(ok)
      assert.same({ case[2], case[3], case[4] }, { err.code, err.field, err.value })
      assert.is_nil(tostring(err):find("PRIVATE", 1, true), tostring(err))
    end
    local dir, remove = helper.tempdir()
    local f = assert(io.open(dir .. "/in.json", "wb"))
    f:write('{"type":"PRIVATE-TYPE"}')
    f:close()
    local r = cli({ "validate", dir .. "/in.json", "--json-errors" }, env)
    remove()
    assert.equal(3, r.code)
    assert.is_nil(r.err:find("PRIVATE", 1, true), r.err)
  end)

  it("12: encode refuses invalid UTF-8 in known string members as in unknown ones", function()
    for _, ref in ipairs { { name = "a\255b" }, { customerProfile = { name = "\192\128" } },
      { details = { notes = "x\237\160\128" } }, { unknownMember = "a\255b" } } do
      local text, err = referrals.encode(ref)
      assert.is_nil(text)
      assert.same({ "validation", "utf8" }, { err.category, err.code })
    end
  end)

  it("13: referrals.auth refuses an http:// authority unless allow_http is set", function()
    local base = { tenant = "t", client_id = "c", username = "u", password = "p",
      authority = "HTTP://login.example" }
    assert.matches("clear text", helper.raised(referrals.auth.password, base))
    assert.matches("clear text", helper.raised(referrals.auth.refresh_token,
      { tenant = "t", client_id = "c", refresh_token = "r", authority = "http://127.0.0.1:1" }))
    base.allow_http = true
    assert.equal("function", type(referrals.auth.password(base)))
    base.allow_http = "yes"
    assert.matches("allow_http", helper.raised(referrals.auth.password, base))
  end)

  it("14: a slow-drip answer ends at the low-speed limit and the deadline #timing", function()
    local slow = referrals.new { token = TOKEN, base_url = server.base_url, retries = 0,
      low_speed_time = 1 }
    server.faults { drip_ms = 200, match = { method = "GET" } }
    local elapsed, got, err = helper.timed(slow.list, slow)
    slow:close()
    assert.is_nil(got)
    assert.same({ "transport", "TIMEOUT" }, { err.category, err.code })
    assert.is_true(elapsed < 4, "took " .. elapsed)
    -- and the deadline ends a run of slow attempts
    slow = referrals.new { token = TOKEN, base_url = server.base_url, retries = 10,
      retry_delay = 0.05, low_speed_limit = 0, deadline = 1.5 }
    server.reset()
    server.faults { drip_ms = 200, count = 20, match = { method = "GET" } }
    elapsed, got = helper.timed(slow.list, slow)
    slow:close()
    assert.is_nil(got)
    assert.is_true(elapsed < 3, "took " .. elapsed)
  end)
end)
