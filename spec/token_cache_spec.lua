-- referrals.auth.cache (issue 17): the file's mode, the atomic write, the refusal of a file
-- or folder others can read, one refresh token for both audiences, and a token function
-- that keeps the rotated refresh token. The cache's tokens are never printed.
local referrals = require "referrals"
local helper = require "helper"
local cjson = require "cjson"

local function mode(path)
  local p = io.popen("stat -c %a '" .. path .. "'")
  local out = p:read("*l")
  p:close()
  return out
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

describe("referrals.auth.cache", function()
  local dir, cleanup
  before_each(function() dir, cleanup = helper.tempdir() end)
  after_each(function() cleanup() end)

  it("creates a 0700 folder and a 0600 file, and reads back what it stored", function()
    local path = dir .. "/sub/tokens.json"
    local cache = referrals.auth.cache { path = path }
    assert.is_true(cache:put("contoso", "app-1", referrals.auth.RESOURCE, "rt-1", { upn = "a@contoso" }))
    assert.equal("700", mode(dir .. "/sub"))
    assert.equal("600", mode(path))
    local rt, entry = cache:get("contoso", "app-1", referrals.auth.RESOURCE)
    assert.is_true(rt == "rt-1")
    assert.equal("a@contoso", entry.account.upn)
    -- one refresh token serves the other audience too
    assert.is_true(cache:get("contoso", "app-1", referrals.auth.WEBHOOK_RESOURCE) == "rt-1")
    assert.is_nil(cache:get("fabrikam", "app-1", referrals.auth.RESOURCE))
    assert.same({ { tenant = "contoso", client_id = "app-1", audience = referrals.auth.RESOURCE,
      account = { upn = "a@contoso" } } }, cache:entries())
    assert.is_nil(tostring(cache):find("rt-1", 1, true))
  end)

  it("creates the folders above it that are missing (a new account has no ~/.config)", function()
    local path = dir .. "/home/.config/referrals/tokens.json"
    local cache = referrals.auth.cache { path = path }
    assert.is_true(cache:put("t", "c", referrals.auth.RESOURCE, "rt-1"))
    assert.same({ "700", "700", "700", "600" }, { mode(dir .. "/home"), mode(dir .. "/home/.config"),
      mode(dir .. "/home/.config/referrals"), mode(path) })
    assert.is_true(cache:get("t", "c", referrals.auth.RESOURCE) == "rt-1")
  end)

  it("writes a temporary file and renames it: a reader never sees half a file", function()
    local path = dir .. "/tokens.json"
    local cache = referrals.auth.cache { path = path }
    assert(cache:put("t", "c", referrals.auth.RESOURCE, "rt-old"))
    local before = io.open(path) -- an open reader keeps the old file (its inode) whole
    local inode = io.popen("stat -c %i " .. path):read("*l")
    assert(cache:put("t", "c", referrals.auth.RESOURCE, ("x"):rep(100000)))
    assert.are_not.equal(inode, io.popen("stat -c %i " .. path):read("*l"))
    assert.is_truthy(cjson.decode(before:read("*a"))) -- still the complete old document
    before:close()
    assert.equal(100000, #cache:get("t", "c", referrals.auth.RESOURCE))
    assert.is_true(helper.sh("test -z \"$(ls -A " .. dir .. " | grep -v '^tokens.json$')\""),
      "no temporary file left beside it")
  end)

  it("refuses a file others can read, and a folder others can read", function()
    local path = dir .. "/tokens.json"
    local cache = referrals.auth.cache { path = path }
    assert(cache:put("t", "c", referrals.auth.RESOURCE, "rt"))
    os.execute("chmod 644 " .. path)
    local rt, err = cache:get("t", "c", referrals.auth.RESOURCE)
    assert.is_nil(rt)
    assert.same({ "auth", "cache_permissions" }, { err.category, err.code })
    assert.truthy(err.message:find("chmod 600", 1, true))
    assert.is_nil(err.message:find("rt\"", 1, true))
    os.execute("chmod 600 " .. path .. "; chmod 755 " .. dir)
    local ok, derr = cache:put("t", "c", referrals.auth.RESOURCE, "rt2")
    assert.is_nil(ok)
    assert.same({ "auth", "cache_permissions" }, { derr.category, derr.code })
    assert.is_true(read(path):find("rt2", 1, true) == nil, "nothing written to a readable folder")
  end)

  it("defaults to $XDG_CONFIG_HOME/referrals/", function()
    local out = helper.sh(("LUA_PATH='%s' LUA_CPATH='%s' XDG_CONFIG_HOME=%s %s -e "
      .. "'local c = require(\"referrals\").auth.cache(); "
      .. "assert(c.path == \"%s/referrals/tokens.json\")'"):format(package.path, package.cpath, dir,
      helper.interpreter(), dir))
    assert.is_true(out)
  end)

  it("forgets everything on clear", function()
    local cache = referrals.auth.cache { path = dir .. "/tokens.json" }
    assert(cache:put("t", "c", referrals.auth.RESOURCE, "rt"))
    assert.is_true(cache:clear())
    assert.is_nil(io.open(dir .. "/tokens.json"))
    assert.is_true(cache:clear())
    assert.same({}, cache:entries())
  end)

  describe("with the bundled server", function()
    local server
    setup(function() server = helper.start { "--device-interval", "0" } end)
    teardown(function() server.stop() end)

    it("signs in once and serves both audiences, saving each rotated refresh token", function()
      local cache = referrals.auth.cache { path = dir .. "/tokens.json" }
      local opts = { tenant = "contoso", client_id = "app-1", authority = server.base_url,
        allow_http = true }
      assert(referrals.auth.device_code { tenant = "contoso", client_id = "app-1",
        authority = server.base_url, allow_http = true,
        prompt = function(info)
          server.control("POST", "devicecode", cjson.encode { user_code = info.user_code,
            action = "approve" })
        end,
        on_refresh_token = function(rt) assert(cache:put("contoso", "app-1",
          referrals.auth.RESOURCE, rt)) end })
      local signed_in = cache:get("contoso", "app-1", referrals.auth.RESOURCE)
      local api = assert(cache:token(opts))
      local token = api()
      assert.matches("^[%w%-_]+%.[%w%-_]+%.[%w%-_]+$", token) -- JWT-shaped, as Entra's
      local rotated = cache:get("contoso", "app-1", referrals.auth.RESOURCE)
      assert.is_false(rotated == signed_in, "the rotated refresh token is saved")
      local client = referrals.new { base_url = server.base_url, token = api }
      assert.is_nil(select(2, client:list()))
      -- the webhook audience from the same refresh token, refused by the Referrals API
      opts.audience = referrals.auth.WEBHOOK_RESOURCE
      local hook = assert(cache:token(opts))
      local wclient = referrals.new { base_url = server.base_url, token = hook, retries = 0 }
      local _, err = wclient:list()
      assert.equal(401, err.status)
    end)
  end)
end)
