-- referrals.webhooks against the bundled server's registration API (issue 14): every method,
-- its result and its request on the wire compared whole, the service's refusals (409 on a
-- second register, 429 on the third test event of a minute, 401 without a good token, 400 on
-- bad input), answers read in any case, and the client's pipeline (token function, retries,
-- log) under it.
local helper = require "helper"
local referrals = require "referrals"

local TOKEN = "webhooks-token-3f1a9c"
local HOOK = "https://receiver.example.com/partner-center/events"

describe("referrals.webhooks", function()
  local server, hooks

  setup(function()
    server = helper.start { "--token", TOKEN }
  end)

  teardown(function() server.stop() end)

  before_each(function()
    server.reset()
    hooks = referrals.webhooks.new { token = TOKEN, base_url = server.base_url, retries = 0 }
  end)

  after_each(function() hooks:close() end)

  local function headers(extra) return helper.headers(server, extra) end
  local function body_headers() return headers { ["content-length"] = "<body length>" } end

  local function register()
    return assert(hooks:register { url = HOOK, events = { "referral-created", "test-created" } })
  end

  describe("register", function()
    it("POSTs the registration in PascalCase and returns it with clear names", function()
      local reg = hooks:register { url = HOOK, events = { "referral-created", "referral-updated" },
        signature_header = true }
      assert.matches(helper.GUID, reg.subscriber_id)
      assert.same({ subscriber_id = reg.subscriber_id, url = HOOK,
        events = { "referral-created", "referral-updated" }, signature_header = true }, reg)
      assert.same({ { method = "POST", path = "/webhooks/v1/registration", query = "",
        headers = body_headers(),
        body = { WebhookUrl = HOOK, WebhookEvents = { "referral-created", "referral-updated" },
          SignatureTokenToMsSignatureHeader = true } } }, server.wire(0, TOKEN))
    end)

    it("sends SignatureTokenToMsSignatureHeader false when signature_header is left out", function()
      register()
      assert.same({ WebhookUrl = HOOK, WebhookEvents = { "referral-created", "test-created" },
        SignatureTokenToMsSignatureHeader = false }, server.wire(0, TOKEN)[1].body)
    end)

    it("fails with 409 when a registration exists (update changes it)", function()
      register()
      local reg, err = hooks:register { url = HOOK, events = { "test-created" } }
      assert.is_nil(reg)
      assert.equal("api", err.category)
      assert.equal("conflict", err.code)
      assert.equal(409, err.status)
      assert.matches("use PUT", err.message)
      assert.equal(2, #server.requests()) -- not retried: the service refused it
    end)

    it("gets the service's 400 for an unknown event name and a URL it cannot deliver to", function()
      local reg, err = hooks:register { url = HOOK, events = { "referral-deleted" } }
      assert.is_nil(reg)
      assert.same({ "api", "invalidRequest", 400 }, { err.category, err.code, err.status })
      assert.matches("WebhookEvents%[0%] is not an event name", err.message)
      reg, err = hooks:register { url = "http://receiver.example.com/hook", events = { "test-created" } }
      assert.is_nil(reg)
      assert.same({ "invalidRequest", 400 }, { err.code, err.status })
      assert.matches("https", err.message)
    end)

    it("accepts an http receiver on this machine (a receiver under test)", function()
      local reg = assert(hooks:register { url = "http://127.0.0.1:8080/hook", events = { "test-created" } })
      assert.equal("http://127.0.0.1:8080/hook", reg.url)
    end)
  end)

  describe("get", function()
    it("GETs the registration", function()
      register()
      server.reset()
      assert.is_nil((hooks:get())) -- reset forgot it
      local made = register()
      local since = #server.requests()
      assert.same(made, hooks:get())
      assert.same({ { method = "GET", path = "/webhooks/v1/registration", query = "",
        headers = headers() } }, server.wire(since, TOKEN))
    end)

    it("fails with 404 when there is none", function()
      local reg, err = hooks:get()
      assert.is_nil(reg)
      assert.same({ "api", "itemNotFound", 404 }, { err.category, err.code, err.status })
    end)

    it("reads the answer's member names in any case", function()
      register()
      server.faults { match = { method = "GET", path = "/webhooks/v1/registration" },
        body = '{"subscriberid":"5d0e7f8a-0b1c-4d2e-8f3a-4b5c6d7e8f90","webhookUrl":"' .. HOOK
          .. '","WEBHOOKEVENTS":["test-created"],"signatureTokenToMsSignatureHeader":true}' }
      assert.same({ subscriber_id = "5d0e7f8a-0b1c-4d2e-8f3a-4b5c6d7e8f90", url = HOOK,
        events = { "test-created" }, signature_header = true }, hooks:get())
    end)

    it("refuses an answer that is not a registration", function()
      register()
      server.faults { match = { method = "GET", path = "/webhooks/v1/registration" },
        body = '{"WebhookUrl":42}' }
      local reg, err = hooks:get()
      assert.is_nil(reg)
      assert.same({ "json", "shape" }, { err.category, err.code })
    end)
  end)

  describe("update", function()
    it("PUTs the whole registration when every member is given", function()
      local made = register()
      local since = #server.requests()
      local reg = hooks:update { url = HOOK .. "/v2", events = { "referral-updated" },
        signature_header = false }
      assert.same({ subscriber_id = made.subscriber_id, url = HOOK .. "/v2",
        events = { "referral-updated" }, signature_header = false }, reg)
      assert.same({ { method = "PUT", path = "/webhooks/v1/registration", query = "",
        headers = body_headers(),
        body = { WebhookUrl = HOOK .. "/v2", WebhookEvents = { "referral-updated" },
          SignatureTokenToMsSignatureHeader = false } } }, server.wire(since, TOKEN))
    end)

    it("keeps the members left out: one GET, then the PUT", function()
      local made = register()
      local since = #server.requests()
      local reg = hooks:update { signature_header = true }
      assert.same({ subscriber_id = made.subscriber_id, url = HOOK,
        events = { "referral-created", "test-created" }, signature_header = true }, reg)
      assert.same({ { method = "GET", path = "/webhooks/v1/registration", query = "",
        headers = headers() },
        { method = "PUT", path = "/webhooks/v1/registration", query = "", headers = body_headers(),
          body = { WebhookUrl = HOOK, WebhookEvents = { "referral-created", "test-created" },
            SignatureTokenToMsSignatureHeader = true } } }, server.wire(since, TOKEN))
    end)

    it("fails with 404 when there is nothing to update, and sends no PUT", function()
      local reg, err = hooks:update { events = { "test-created" } }
      assert.is_nil(reg)
      assert.equal(404, err.status)
      assert.same({ "GET" }, { server.requests()[1].method, server.requests()[2] })
    end)
  end)

  it("event_names lists the service's names", function()
    assert.same({ "referral-created", "referral-updated", "related-referral-created",
      "related-referral-updated", "test-created" }, hooks:event_names())
    assert.same({ { method = "GET", path = "/webhooks/v1/registration/events", query = "",
      headers = headers() } }, server.wire(0, TOKEN))
  end)

  describe("test and test_status", function()
    it("POSTs a validation event and returns its correlation id; its status has no attempt yet", function()
      register()
      local since = #server.requests()
      local id = assert(hooks:test())
      assert.matches(helper.GUID, id)
      local status = assert(hooks:test_status(id))
      assert.matches(helper.GUID, status.partner_id)
      assert.same({ correlation_id = id, partner_id = status.partner_id, status = "pending",
        callback_url = HOOK, attempts = {} }, status)
      assert.same({ { method = "POST", path = "/webhooks/v1/registration/validationEvents",
        query = "", headers = body_headers() },
        { method = "GET", path = "/webhooks/v1/registration/validationEvents/" .. id, query = "",
          headers = headers() } }, server.wire(since, TOKEN))
    end)

    it("fails with 429 on the third test of a minute, with the service's Retry-After", function()
      register()
      assert(hooks:test())
      assert(hooks:test())
      local id, err = hooks:test()
      assert.is_nil(id)
      assert.same({ "api", 429, "HTTP_429" }, { err.category, err.status, err.code })
      assert.matches("Rate limit is exceeded", err.message)
      assert.is_true(err.retry_after > 0 and err.retry_after <= 60)
      assert.equal(4, #server.requests())
    end)

    it("waits for Retry-After when retries allow it, up to max_retry_delay", function()
      register()
      server.faults { status = 429, retry_after = "0",
        match = { method = "POST", path = "/webhooks/v1/registration/validationEvents" } }
      local patient = referrals.webhooks.new { token = TOKEN, base_url = server.base_url,
        retries = 1 }
      assert.matches(helper.GUID, assert(patient:test()))
      patient:close()
      assert.equal(3, #server.requests()) -- the register, the 429, the retry
    end)

    it("needs a registration listing test-created", function()
      local id, err = hooks:test()
      assert.is_nil(id)
      assert.equal(404, err.status)
      assert(hooks:register { url = HOOK, events = { "referral-created" } })
      id, err = hooks:test()
      assert.is_nil(id)
      assert.same({ 400, "invalidRequest" }, { err.status, err.code })
    end)

    it("fails with 404 for an unknown correlation id", function()
      local status, err = hooks:test_status("00000000-0000-4000-8000-000000000000")
      assert.is_nil(status)
      assert.equal(404, err.status)
    end)

    it("refuses an id that is not one, sending nothing", function()
      local status, err = hooks:test_status("../registration")
      assert.is_nil(status)
      assert.same({ "validation", "id" }, { err.category, err.code })
      assert.same({}, server.requests())
    end)
  end)

  describe("tokens", function()
    it("gets 401 for a token the service does not accept", function()
      local stranger = referrals.webhooks.new { token = "not-the-token", base_url = server.base_url,
        retries = 0 }
      local reg, err = stranger:get()
      stranger:close()
      assert.is_nil(reg)
      assert.same({ "api", "unauthenticated", 401 }, { err.category, err.code, err.status })
    end)

    it("the service answers 401 to a request without a token", function()
      local p = io.popen("env -u LD_PRELOAD curl -s -o /dev/null -w '%{http_code}' "
        .. helper.quote(server.base_url .. "/webhooks/v1/registration/events"))
      local code = p:read("*a")
      p:close()
      assert.equal("401", code)
    end)

    it("asks a token function, retries a 503 and logs each attempt, as the referrals client does", function()
      local asked, events = 0, {}
      local h = referrals.webhooks.new { base_url = server.base_url, retries = 1, retry_delay = 0,
        token = function() asked = asked + 1 return TOKEN, 3600 end,
        log = function(ev) events[#events + 1] = ev.type .. " " .. ev.method .. " " .. (ev.status or "") end }
      server.faults { status = 503, match = { method = "GET", path = "/webhooks/v1/registration/events" } }
      assert.equal(5, #assert(h:event_names()))
      h:close()
      assert.equal(1, asked)
      assert.same({ "request GET ", "response GET 503", "retry GET 503", "request GET ",
        "response GET 200" }, events)
    end)
  end)

  describe("wrong arguments raise", function()
    it("in new", function()
      assert.matches("table expected", helper.raised(referrals.webhooks.new))
      assert.matches("option 'token'", helper.raised(referrals.webhooks.new, { base_url = server.base_url }))
      assert.matches("option 'extra'", helper.raised(referrals.webhooks.new,
        { token = TOKEN, extra = { "x" } }))
    end)

    it("in register, update and test_status", function()
      assert.matches("table expected", helper.raised(hooks.register, hooks))
      assert.matches("url: required", helper.raised(hooks.register, hooks, { events = { "test-created" } }))
      assert.matches("events: non%-empty list", helper.raised(hooks.register, hooks, { url = HOOK, events = {} }))
      assert.matches("events: non%-empty list", helper.raised(hooks.register, hooks, { url = HOOK, events = { 1 } }))
      assert.matches("signature_header: boolean", helper.raised(hooks.update, hooks, { signature_header = "yes" }))
      assert.matches("unknown key 'event'", helper.raised(hooks.update, hooks, { event = "test-created" }))
      assert.matches("string expected", helper.raised(hooks.test_status, hooks, 42))
      assert.same({}, server.requests())
    end)
  end)

  it("is named in referrals.webhooks, with the defaults of the real service", function()
    assert.equal("https://api.partnercenter.microsoft.com", referrals.webhooks.BASE_URL)
    assert.equal(referrals.auth.WEBHOOK_RESOURCE, referrals.webhooks.RESOURCE)
    local real = referrals.webhooks.new { token = TOKEN }
    assert.equal("referrals.webhooks (https://api.partnercenter.microsoft.com)", tostring(real))
    real:close()
    assert.is_nil(referrals.json_request) -- the primitive is the module's own
  end)
end)
