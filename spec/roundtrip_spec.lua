-- decode(encode(x)) == x for generated referrals: every field kind, nulls, empty arrays,
-- unknown members, unicode. The generator reads referrals.schema, so it covers every field
-- of the one description without listing any.
local referrals = require "referrals"

local schema = referrals.schema
local random = math.random

local strings = { "", "plain", "Vicente López", "日本語", "emoji 😀", 'quote " and \\ backslash',
  "line\nbreak\ttab", "\1control", "&amp; kept", "</script>", string.rep("long ", 60) }

local function pick(list) return list[random(#list)] end

local function datetime()
  local frac = ({ "", ".1", ".2931817", ".000" })[random(4)]
  return string.format("%04d-%02d-%02dT%02d:%02d:%02d%sZ", random(1990, 2030), random(12),
    random(28), random(0, 23), random(0, 59), random(0, 59), frac)
end

local function number()
  local r = random(4)
  if r == 1 then return random(-1000000, 1000000) end
  if r == 2 then return random(0, 1000000) / 8 end -- exact binary fractions
  if r == 3 then return random() * 1e6 end
  return 2 ^ 53 - random(100)
end

local function json_value(depth)
  local r = random(depth > 2 and 5 or 7)
  if r == 1 then return pick(strings) end
  if r == 2 then return number() end
  if r == 3 then return random(2) == 1 end
  if r == 4 then return referrals.null end
  if r == 5 then return setmetatable({}, referrals.array_mt) end
  if r == 6 then
    local t = {}
    for i = 1, random(3) do t[i] = json_value(depth + 1) end
    return t
  end
  local t = {}
  for i = 1, random(0, 3) do t["k" .. i] = json_value(depth + 1) end
  return t
end

local generate_object

local function value_of(field, depth)
  local kind = field.kind
  if kind == "string" then return pick(strings) end
  if kind == "datetime" then return datetime() end
  if kind == "bool" then return random(2) == 1 end
  if kind == "number" then return number() end
  if kind == "enum" then return pick(schema.enums[field.enum]) end
  if kind == "json" then return json_value(depth) end
  if kind == "object" then return generate_object(field.type, depth + 1) end
  local items = {}
  for i = 1, random(0, 3) do
    if random(10) == 1 then
      items[i] = referrals.null
    elseif kind == "object_array" then
      items[i] = generate_object(field.type, depth + 1)
    else
      items[i] = pick(strings)
    end
  end
  return items
end

function generate_object(type_name, depth)
  local t = {}
  for _, field in ipairs(schema.types[type_name].fields) do
    local r = random(10)
    if r <= 5 and depth < 5 then
      t[field.key] = value_of(field, depth)
    elseif r == 6 then
      t[field.key] = referrals.null
    end
  end
  if random(4) == 1 then t["unknownMember" .. random(9)] = json_value(depth) end
  return t
end

describe("round trip", function()
  it("gives back 300 generated referrals unchanged", function()
    math.randomseed(20181114)
    for n = 1, 300 do
      local ref = generate_object("Referral", 0)
      local json = assert(referrals.encode(ref))
      local back, err = referrals.decode(json)
      assert(back, err)
      assert.same(ref, back, "referral " .. n .. ": " .. json)
    end
  end)

  it("builds the same tables straight from the text as through structs (issue 16)", function()
    math.randomseed(20261202)
    for n = 1, 300 do
      local json = assert(referrals.encode(generate_object("Referral", 0)))
      local direct = assert(referrals.decode(json))
      local structs = assert(referrals._decode_structs(json))
      assert.same(structs, direct, "referral " .. n .. ": " .. json)
      assert.equal(assert(referrals.encode(structs)), assert(referrals.encode(direct)))
    end
  end)

  it("checks and writes the same straight from the table as through structs (issue 16)", function()
    -- every problem, as a set: unknown keys of different objects may be met in another order
    local function problems(err)
      if not err then return nil end
      local out = {}
      for i, e in ipairs(err.errors or { err }) do
        out[i] = table.concat({ e.code, e.field or "", e.value or "", e.message }, "|")
      end
      table.sort(out)
      return out
    end
    math.randomseed(20261203)
    for n = 1, 300 do
      local ref = generate_object("Referral", 0)
      local json = assert(referrals.encode(ref))
      assert.equal(json, assert(referrals._encode_structs(ref)), "referral " .. n)
      for _, mode in ipairs { "create", "update" } do
        local json1, err1 = referrals.encode_valid(ref, mode)
        local json2, err2 = referrals._encode_structs(ref, mode)
        assert.equal(json2, json1, "referral " .. n .. " " .. mode)
        assert.same(problems(err2), problems(err1), "referral " .. n .. " " .. mode)
        assert.equal(err2 and err2.code, err1 and err1.code)
      end
    end
  end)
end)
