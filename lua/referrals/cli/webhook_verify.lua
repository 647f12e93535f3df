--- referrals.cli.webhook_verify: `referrals webhook verify FILE` (issue 14). Reads a saved
-- webhook request, checks it with referrals.webhook.verifier exactly as a receiver would
-- (signature, certificate URL, chain, organization) and prints its event, or reports the
-- refusal with its code.
--
-- The saved request is HTTP message text: an optional request line (`POST /path HTTP/1.1`),
-- then one `Name: value` header a line, an empty line, and the body. The body is the rest of
-- the file byte for byte, or its first Content-Length bytes when that header is given (so a
-- newline an editor added at the end does no harm). Lines may end in CRLF or LF.
-- @module referrals.cli.webhook_verify
local referrals = require "referrals"
local output = require "referrals.cli.output"

local M = {}

local function usage_error(fmt, ...)
  return referrals.error { category = "usage", code = "usage", message = fmt:format(...) }
end

--- The headers and body of a saved request's text.
-- @string text the file's text
-- @string where its name, for errors
-- @treturn[1] table `{ headers = { name = value }, body = string }`
-- @return[2] nil
-- @treturn[2] Error err (category `usage`)
function M.parse_request(text, where)
  local head_end, body_start = text:find("\r?\n\r?\n")
  if not head_end then
    return nil, usage_error("%s: no empty line between the headers and the body", where)
  end
  local headers, n = {}, 0
  for line in (text:sub(1, head_end - 1) .. "\n"):gmatch("(.-)\r?\n") do
    n = n + 1
    local name, value = line:match("^([%w!#$%%&'*+.^_`|~-]+):[ \t]*(.-)[ \t]*$")
    if name then
      headers[name] = value
    elseif not (n == 1 and line:match("^%u+ %S+ HTTP/%d")) then
      return nil, usage_error("%s: line %d is not a header (Name: value)", where, n)
    end
  end
  local body = text:sub(body_start + 1)
  for name, value in pairs(headers) do
    if name:lower() == "content-length" then
      local length = tonumber(value:match("^%d+$"))
      if not length or length > #body then
        return nil, usage_error("%s: Content-Length %s, but the body has %d bytes", where,
          value, #body)
      end
      body = body:sub(1, length)
    end
  end
  return { headers = headers, body = body }
end

--- Runs `referrals webhook verify FILE`.
-- @string file the saved request (- for stdin)
-- @tparam table options the command line's: `ca-file`, `certificate-host` (a list)
-- @tparam function read_input FILE -> its text, or nil, err
-- @treturn[1] true after printing the event
-- @return[2] nil
-- @treturn[2] Error err (category `webhook` for a refusal, with its code)
function M.run(file, options, read_input)
  local text, err = read_input(file)
  if not text then return nil, err end
  local request
  request, err = M.parse_request(text, file == "-" and "stdin" or file)
  if not request then return nil, err end
  local verifier = referrals.webhook.verifier { ca_file = options["ca-file"],
    certificate_hosts = options["certificate-host"] }
  local event
  event, err = verifier:verify(request)
  if not event then return nil, err end
  return output.print(event)
end

return M
