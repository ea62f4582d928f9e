-- POST requests for bench/api.sh: BODY (a form or JSON, %d replaced by a per-request number so
-- that created rows are new), CONTENT_TYPE and AUTHORIZATION from the environment.
local body = os.getenv("BODY") or ""
local content_type = os.getenv("CONTENT_TYPE") or "application/x-www-form-urlencoded"
local authorization = os.getenv("AUTHORIZATION")
local n = 0
local threads = 0

-- Each thread counts from its own start, so that two never send the same number.
function setup(thread)
  threads = threads + 1
  thread:set("start", threads * 100000000 + os.time() % 100000000)
end

function init(args)
  n = start
end

function request()
  n = n + 1
  local headers = { ["Content-Type"] = content_type }
  if authorization then headers["Authorization"] = authorization end
  return wrk.format("POST", nil, headers, (body:gsub("%%d", tostring(n))))
end
