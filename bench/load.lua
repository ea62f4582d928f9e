-- A steady mix for bench/load.sh: reads by id, searches and registrations, paced to a rate.
-- Environment: RATE (requests/s over all connections), CONNECTIONS, TOKEN, IDS (comma list).
local threads = {}
local rate = tonumber(os.getenv("RATE") or "200")
local connections = tonumber(os.getenv("CONNECTIONS") or "8")
local token = os.getenv("TOKEN") or ""
local ids = {}
for id in string.gmatch(os.getenv("IDS") or "", "[^,]+") do ids[#ids + 1] = id end

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  n = 0
  math.randomseed(os.time() + id)
end

-- Each connection waits so that all of them together send `rate` requests a second.
function delay()
  return 1000 * connections / rate
end

local alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
local function tax_id()
  local t = {}
  for i = 1, 12 do
    local k = math.random(1, #alphabet)
    t[i] = alphabet:sub(k, k)
  end
  return table.concat(t)
end

function request()
  n = n + 1
  local pick = n % 10
  if pick < 6 and #ids > 0 then
    return wrk.format("GET", "/v1/suppliers/" .. ids[math.random(1, #ids)])
  elseif pick < 9 then
    return wrk.format("GET", "/v1/suppliers?country=MX&capability=atp&limit=20")
  else
    local body = string.format(
      '{"legal_name":"Carga de prueba %d","tax_id":"%s","country":"CA","sector":"services","employees":%d}',
      n, tax_id(), math.random(1, 400))
    return wrk.format("POST", "/v1/suppliers", {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. token,
    }, body)
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local all = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      all[status] = (all[status] or 0) + count
    end
  end
  local line = {}
  for status, count in pairs(all) do line[#line + 1] = status .. "=" .. count end
  table.sort(line)
  io.write("statuses: " .. table.concat(line, " ") .. "\n")
  io.write(string.format("latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
