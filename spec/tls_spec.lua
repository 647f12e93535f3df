-- The TLS options of referrals.new (verify, ca_file, ca_path, http_version) against the fake
-- Partner API serving https with a self-signed certificate made for this run.
local referrals = require "referrals"
local helper = require "helper"

local TOKEN = "tls-spec-token-9"

describe("a client over https", function()
  local server, dir, remove_dir

  setup(function()
    dir, remove_dir = helper.tempdir()
    assert(helper.sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1" ..
      " -addext subjectAltName=IP:127.0.0.1 -keyout " .. dir .. "/key.pem -out " .. dir .. "/cert.pem"
      .. " && mkdir " .. dir .. "/ca && cp " .. dir .. "/cert.pem " .. dir .. "/ca/"
      .. " && openssl rehash " .. dir .. "/ca"), "openssl could not make a test certificate")
    server = helper.start { "--token", TOKEN, "--cert", dir .. "/cert.pem", "--key", dir .. "/key.pem" }
  end)

  teardown(function()
    server.stop()
    remove_dir()
  end)

  before_each(function() server.reset() end)

  local function list_with(opts)
    opts.token, opts.base_url = TOKEN, server.base_url
    local client = referrals.new(opts)
    local page, err = client:list()
    client:close()
    return page, err
  end

  it("verifies the server's certificate by default, and refuses a self-signed one", function()
    local page, err = list_with {}
    assert.is_nil(page)
    assert.same({ "transport", "TLS", false }, { err.category, err.code, err.retryable })
    assert.same({}, server.requests())
  end)

  it("trusts a certificate from ca_file or ca_path", function()
    assert.same({ value = {} }, list_with { ca_file = dir .. "/cert.pem" })
    assert.same({ value = {} }, list_with { ca_path = dir .. "/ca" })
    assert.equal(2, #server.requests())
  end)

  it("with verify = false checks neither the certificate nor the host name", function()
    assert.same({ value = {} }, list_with { verify = false })
    assert.equal(1, #server.requests())
  end)

  it("the token request of referrals.auth verifies too, and takes ca_file and verify", function()
    local function token_with(opts)
      opts.tenant, opts.client_id, opts.username, opts.password = "common", "app", "u", "p"
      opts.authority, opts.retries = server.base_url, 0
      return pcall(referrals.auth.password(opts))
    end
    local ok, err = token_with {}
    assert.is_false(ok)
    assert.matches("TLS", err, 1, true)
    assert.is_true((token_with { ca_file = dir .. "/cert.pem" }))
    assert.is_true((token_with { verify = false }))
    assert.equal(2, #server.requests())
  end)

  it("asks for HTTP/2 with http_version = \"2\" and falls back to what the server speaks", function()
    assert.same({ value = {} }, list_with { ca_file = dir .. "/cert.pem", http_version = "2" })
    assert.equal(1, #server.requests())
  end)
end)
