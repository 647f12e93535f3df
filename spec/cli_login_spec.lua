-- `referrals login` end to end under a pseudo-terminal (script from bsdutils) against the
-- bundled server's device-code endpoints, then whoami, a command that uses the cached sign-in,
-- and logout. A background shell plays the user: it reads the code from the terminal output
-- and approves it through the control API. No token is printed: the outputs are searched for
-- the cached refresh token, never shown.
local cjson = require "cjson"
local helper = require "helper"

local LUA, quote = helper.interpreter(), helper.quote

local slurp = helper.read_file

-- The CLI against server with its token cache in dir (and more of its environment, as
-- "NAME=value ..."): run(args, tty) -> ok, stdout, stderr.
local function cli(server, dir, more_env)
  local env = ("env -u REFERRALS_TOKEN XDG_CONFIG_HOME=%s REFERRALS_AUTHORITY=%s REFERRALS_BASE_URL=%s "
    .. "LUA_PATH=%s LUA_CPATH=%s %s %s bin/referrals"):format(quote(dir), quote(server.base_url),
    quote(server.base_url), quote(package.path), quote(package.cpath), more_env or "", quote(LUA))
  return function(args, tty)
    local line = env .. " " .. args
    if tty then line = "script -qefc " .. quote(line) .. " /dev/null" end
    local ok = os.execute(line .. " </dev/null >" .. dir .. "/out 2>" .. dir .. "/err")
    return ok == true or ok == 0, slurp(dir .. "/out"), slurp(dir .. "/err")
  end
end

-- The user, in the background: waits for the code on the terminal (dir/out), then approves
-- it through the server's control API.
local function approve_when_shown(server, dir)
  os.execute(("(for i in $(seq 100); do c=$(grep -o '[A-Z]\\{4\\}-[A-Z]\\{4\\}' %s/out | head -1);"
    .. " [ -n \"$c\" ] && break; sleep 0.1; done; env -u LD_PRELOAD curl -sS -f -k -X POST"
    .. " -H 'Content-Type: application/json' --data-binary \"{\\\"user_code\\\":\\\"$c\\\","
    .. "\\\"action\\\":\\\"approve\\\",\\\"username\\\":\\\"ada@contoso.onmicrosoft.com\\\"}\""
    .. " %s/_fake/devicecode) >/dev/null 2>&1 &"):format(dir, server.base_url))
end

describe("referrals login", function()
  local server, dir, remove_dir, run

  setup(function()
    dir, remove_dir = helper.tempdir()
    server = helper.start { "--token", "fixed-cli-token", "--device-interval", "1" }
    run = cli(server, dir)
  end)
  teardown(function()
    server.stop()
    remove_dir()
  end)

  it("signs in with a device code, then whoami, list from the cache, logout", function()
    approve_when_shown(server, dir)
    local ok, out = run("login --tenant contoso.onmicrosoft.com --client-id app-1", true)
    assert.is_true(ok, "login exits 0")
    assert.truthy(out:find("https://microsoft.com/devicelogin", 1, true))
    assert.truthy(out:find("Signed in to contoso.onmicrosoft.com as ada@contoso.onmicrosoft.com",
      1, true))
    local cache_path = dir .. "/referrals/tokens.json"
    local text = slurp(cache_path)
    assert.is_string(text)
    local cached = cjson.decode(text)
    local _, entry = next(cached)
    local rt = entry.refresh_token
    assert.equal(64, #rt)
    assert.is_nil(out:find(rt, 1, true))
    -- what whoami needs, from the ID token; no access or ID token is kept
    assert.same({ username = "ada@contoso.onmicrosoft.com",
      tenant_id = "c0ffee00-1234-4abc-8def-000000000001" }, entry.account)
    assert.is_nil(text:find("eyJ", 1, true), "no JWT in the cache")

    local wok, wout = run("whoami")
    assert.is_true(wok)
    -- the account and tenant id the server's ID token named (its tid for a tenant given by name)
    assert.same({ { account = "ada@contoso.onmicrosoft.com",
      tenant_id = "c0ffee00-1234-4abc-8def-000000000001", tenant = "contoso.onmicrosoft.com",
      client_id = "app-1",
      audiences = { "https://api.partner.microsoft.com", "https://api.partnercenter.microsoft.com" } } },
      cjson.decode(wout))
    assert.is_nil(wout:find(rt, 1, true))
    assert.is_nil(wout:find("eyJ", 1, true), "no token printed")

    -- no REFERRALS_TOKEN, no --token-command: the cache's token (the server refuses any other)
    local lok, lout, lerr = run("list")
    assert.is_true(lok, lerr)
    assert.equal("[]", lout:gsub("%s", ""))
    local rotated = select(2, next(cjson.decode((slurp(cache_path))))).refresh_token
    assert.is_false(rotated == rt, "the rotated refresh token is saved")

    local ook, _, oerr = run("logout")
    assert.is_true(ook)
    assert.truthy(oerr:find("Signed out", 1, true))
    assert.is_nil(slurp(cache_path))
    local nok, _, nerr = run("list")
    assert.is_false(nok)
    assert.truthy(nerr:find("referrals login", 1, true))
  end)

  it("names a cache others can read instead of saying there is no token", function()
    os.execute("mkdir -p " .. quote(dir .. "/referrals") .. " && chmod 700 " .. quote(dir .. "/referrals"))
    local path = dir .. "/referrals/tokens.json"
    local f = assert(io.open(path, "w"))
    f:write("{}")
    f:close()
    os.execute("chmod 644 " .. quote(path))
    local ok, _, err = run("list")
    local wok, _, werr = run("webhook show")
    os.remove(path)
    assert.is_false(ok)
    assert.truthy(err:find("(cache_permissions)", 1, true), err)
    assert.truthy(err:find("chmod 600", 1, true), err)
    assert.is_false(wok)
    assert.truthy(werr:find("(cache_permissions)", 1, true), werr)
  end)
end)

-- A sign-in server whose certificate a company CA signed (the test CA here): the CLI trusts
-- $REFERRALS_CA_FILE for the sign-in's requests as for the API's.
describe("referrals login over https", function()
  local KEYS = "tests/fixtures/webhook/"
  local server, dir, remove_dir

  setup(function()
    dir, remove_dir = helper.tempdir()
    server = helper.start { "--token", "fixed-cli-token", "--device-interval", "1",
      "--cert", KEYS .. "server.pem", "--key", KEYS .. "server.key" }
  end)
  teardown(function()
    server.stop()
    remove_dir()
  end)

  it("trusts $REFERRALS_CA_FILE for the device code, the cache's refresh and the API", function()
    local run = cli(server, dir, "REFERRALS_CA_FILE=" .. quote(KEYS .. "trusted.pem"))
    approve_when_shown(server, dir)
    local ok, out, err = run("login --tenant contoso.onmicrosoft.com --client-id app-1", true)
    assert.is_true(ok, out)
    assert.truthy(out:find("Signed in to contoso.onmicrosoft.com", 1, true), out)
    local lok, lout, lerr = run("list")
    assert.is_true(lok, lerr)
    assert.equal("[]", lout:gsub("%s", ""))
    assert.is_nil(err and err:find("certificate", 1, true))
  end)

  it("without it, the sign-in refuses the server's certificate", function()
    local run = cli(server, dir)
    local ok, out = run("login --tenant contoso.onmicrosoft.com --client-id app-1", true)
    assert.is_false(ok)
    assert.truthy(out:lower():find("certificate", 1, true), out)
  end)
end)

describe("a 401", function()
  local server
  setup(function() server = helper.start { "--token", "the-right-token" } end)
  teardown(function() server.stop() end)

  -- an unsigned JWT-shaped token (header.payload.), as the hint reads it without verifying
  local function jwt(claims)
    local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    local function enc(s)
      local bits = {}
      for i = 1, #s do
        local c = s:byte(i)
        for b = 7, 0, -1 do bits[#bits + 1] = math.floor(c / 2 ^ b) % 2 end
      end
      while #bits % 6 ~= 0 do bits[#bits + 1] = 0 end
      local out = {}
      for i = 1, #bits, 6 do
        local v = 0
        for b = 0, 5 do v = v * 2 + bits[i + b] end
        out[#out + 1] = b64:sub(v + 1, v + 1)
      end
      return table.concat(out)
    end
    return enc('{"alg":"none"}') .. "." .. enc(cjson.encode(claims)) .. "."
  end

  local function list_with(token)
    local out = os.tmpname()
    local ok = os.execute(("env REFERRALS_TOKEN=%s REFERRALS_BASE_URL=%s LUA_PATH=%s LUA_CPATH=%s"
      .. " %s bin/referrals list --retries 0 >/dev/null 2>%s"):format(quote(token),
      quote(server.base_url), quote(package.path), quote(package.cpath), quote(LUA), out))
    local err = slurp(out)
    os.remove(out)
    return ok == true or ok == 0, err
  end

  it("names the audience the API needs when the token's is another", function()
    local token = jwt { aud = "https://api.partnercenter.microsoft.com", upn = "a@contoso" }
    local ok, err = list_with(token)
    assert.is_false(ok)
    assert.truthy(err:find("the token's audience is https://api.partnercenter.microsoft.com, but "
      .. "this API needs https://api.partner.microsoft.com", 1, true))
    assert.is_nil(err:find(token, 1, true))
  end)

  it("webhook commands name the registration API's audience", function()
    local token = jwt { aud = "https://api.partner.microsoft.com" }
    local out = os.tmpname()
    local ok = os.execute(("env REFERRALS_WEBHOOK_TOKEN=%s REFERRALS_WEBHOOK_BASE_URL=%s LUA_PATH=%s"
      .. " LUA_CPATH=%s %s bin/referrals webhook show --retries 0 >/dev/null 2>%s"):format(
      quote(token), quote(server.base_url), quote(package.path), quote(package.cpath), quote(LUA), out))
    local err = slurp(out)
    os.remove(out)
    assert.is_false(ok == true or ok == 0)
    assert.truthy(err:find("the token's audience is https://api.partner.microsoft.com, but this "
      .. "API needs https://api.partnercenter.microsoft.com", 1, true))
    assert.is_nil(err:find(token, 1, true))
  end)

  it("says the audience is right when it is, and says nothing of an opaque token", function()
    local _, err = list_with(jwt { aud = "https://api.partner.microsoft.com" })
    assert.truthy(err:find("the one this API needs", 1, true))
    local _, opaque = list_with("opaque-token")
    assert.is_nil(opaque:find("audience", 1, true))
  end)
end)
