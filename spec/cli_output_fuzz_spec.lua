-- A fuzz loop over the CLI's output (issue 13): random JSON documents -- known members with
-- the wrong shapes, unknown members of any shape, nulls, deep nesting, control bytes, C1 and
-- other Unicode in strings, odd numbers -- and random byte mutations of them are decoded by
-- referrals.decode, as an answer is, and whatever decodes is written by the CLI's output
-- module, compact and indented. Neither may raise, both must be JSON that lua-cjson reads,
-- and neither may hold a raw control byte. A Lua loop, not a libFuzzer target: the code under
-- test is Lua. FUZZ_ITERATIONS sets the number of documents (default 400).
local cjson = require "cjson"
local output = require "referrals.cli.output"
local referrals = require "referrals"

local ITERATIONS = tonumber(os.getenv("FUZZ_ITERATIONS") or "") or 400
local seed = tonumber(os.getenv("FUZZ_SEED") or "") or os.time()

local KEYS = { "id", "name", "status", "substatus", "type", "target", "team", "details",
  "customerProfile", "consent", "notes", "dealValue", "x", "", "\27[2J", "value", "ids" }
local PIECES = { "a", "\0", "\1", "\27[31m", "\127", "\194\155", "\194\133", "\195\169", "\244\143\191\191", "\\",
  '"', "\n", "\t", " ", "\240\159\146\165", "null" }

local function random_string()
  local parts = {}
  for i = 1, math.random(0, 6) do parts[i] = PIECES[math.random(#PIECES)] end
  return table.concat(parts)
end

local function random_number()
  local forms = { "0", "-0", "1e308", "-1e-308", "123456789012345678901234567890", "0.1",
    "9007199254740993", "1E+2", tostring(math.random(-1000, 1000)) }
  return forms[math.random(#forms)]
end

-- Random JSON text of a value, depth levels at most.
local function random_json(depth)
  local pick = math.random(depth > 0 and 9 or 5)
  if pick == 1 then return "null" end
  if pick == 2 then return math.random(2) == 1 and "true" or "false" end
  if pick <= 4 then return cjson.encode(random_string()) end
  if pick == 5 then return random_number() end
  if pick <= 7 then
    local items = {}
    for i = 1, math.random(0, 4) do items[i] = random_json(depth - 1) end
    return "[" .. table.concat(items, ",") .. "]"
  end
  local members = {}
  for i = 1, math.random(0, 5) do
    members[i] = cjson.encode(KEYS[math.random(#KEYS)]) .. ":" .. random_json(depth - 1)
  end
  return "{" .. table.concat(members, ",") .. "}"
end

-- Flips, drops or duplicates a few bytes of text.
local function mutate(text)
  for _ = 1, math.random(1, 3) do
    local at = math.random(1, #text + 1)
    local op = math.random(3)
    if op == 1 then
      text = text:sub(1, at - 1) .. string.char(math.random(0, 255)) .. text:sub(at + 1)
    elseif op == 2 then
      text = text:sub(1, at - 1) .. text:sub(at + 1)
    else
      text = text:sub(1, at) .. text:sub(at, at) .. text:sub(at + 1)
    end
  end
  return text
end

local function check_written(text, err, doc)
  assert(text, "no output, error: " .. tostring(err) .. " for " .. doc)
  assert(not text:find("[%z\1-\8\11-\31\127]"), "a raw control byte in " .. text)
  assert(not text:find("\194[\128-\159]"), "a raw C1 control in " .. text)
  local ok, why = pcall(cjson.decode, text)
  assert(ok, "not JSON (" .. tostring(why) .. "): " .. text)
end

describe("the CLI's output of decoded answers (fuzz loop)", function()
  it("never raises and always writes JSON, for " .. ITERATIONS .. " documents, seed " .. seed, function()
    math.randomseed(seed)
    local written = 0
    for _ = 1, ITERATIONS do
      local doc = "{" .. cjson.encode(KEYS[math.random(#KEYS)]) .. ":" .. random_json(4) .. "}"
      for _, text in ipairs { doc, mutate(doc) } do
        local ref = referrals.decode(text)
        if ref then
          written = written + 1
          local ok, compact, err = pcall(output.json, ref, true)
          assert(ok, "output.json raised: " .. tostring(compact) .. " for " .. text)
          if compact then check_written(compact, err, text) end
          local pretty
          ok, pretty, err = pcall(output.pretty, ref, true)
          assert(ok, "output.pretty raised: " .. tostring(pretty) .. " for " .. text)
          if pretty then check_written((pretty:gsub("\n", " ")), err, text) end
          -- a page holding this referral and odd items beside it
          ok, pretty = pcall(output.pretty, setmetatable({ ref, referrals.null, true, "s" },
            referrals.array_mt), true)
          assert(ok and pretty, "a page: " .. tostring(pretty))
        end
      end
    end
    assert.is_true(written > ITERATIONS / 2, "too few documents decoded: " .. written)
  end)

  it("writes error objects with hostile texts as one JSON line", function()
    local err = referrals.error { category = "api", code = "x\27[2J", message = "a\0b\127\194\155",
      target = "\1", created = { name = "\27]0;t\7" } }
    local line = output.error_json(err)
    check_written(line, nil, "error")
  end)

  it("writes / as it is (lua-cjson writes \\/), and a backslash before it stays a backslash", function()
    local value = { url = "https://example.com/hook", odd = "a\\/b\\\\/c" }
    assert.equal('{"odd":"a\\\\/b\\\\\\\\/c","url":"https://example.com/hook"}', output.json(value))
    assert.same(value, cjson.decode(output.json(value)))
    assert.same(value, cjson.decode(output.pretty(value)))
    assert.is_nil(output.pretty { url = value.url }:find("\\/", 1, true))
  end)
end)
