-- Request generators for the verdigris benchmark (benchmarks/bench.py), run by wrk.
--
--   wrk -t1 -c16 -d5s -s benchmarks/bench.lua http://127.0.0.1:PORT -- \
--       SCENARIO TOKEN EMAIL N_LEADS ID_LO NONCE DEFINITION_ID CITIES
--
-- Lead i (0 <= i < N_LEADS) has id ID_LO + i, email lead{i}@bench.example and the
-- custom field value ext-{i} (benchmarks/dataset.py). New upsert keys are unique per
-- run (NONCE), thread and request. benchmarks/workload.py builds the same bodies in
-- Python for the in-process store ceiling: keep the two in step.
--
-- No response() function: wrk then skips parsing bodies, and counts statuses >= 400
-- in summary.errors.status, which the harness reports.

local BASE = "/developer_api/v1"
local scenario, n_leads, id_lo, nonce, def_id
local cities = {}
local counter = 0
local threads = 0
thread_id = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local function random_index()
  return math.random(0, n_leads - 1)
end

local function random_city()
  return cities[math.random(1, #cities)]
end

local function fresh_key(prefix)
  return string.format("%s-%s-%d-%d", prefix, nonce, thread_id, counter)
end

local generators = {}

-- GET /account: the HTTP floor of the same server (auth, routing, one tiny query).
generators.account = function()
  return wrk.format("GET", BASE .. "/account")
end

-- GET /leads/{random existing id}
generators.get = function()
  return wrk.format("GET", BASE .. "/leads/" .. (id_lo + random_index()))
end

-- PUT /leads/upsert matched on email: even requests hit an existing lead, odd ones are new.
generators.upsert_email = function()
  counter = counter + 1
  local email
  if counter % 2 == 0 then
    email = "lead" .. random_index() .. "@bench.example"
  else
    email = fresh_key("new") .. "@bench.example"
  end
  local body = '{"properties":{"name":"Bench Lead ' .. counter
    .. '","email":{"email":"' .. email .. '","category":"work"}'
    .. ',"title":"Buyer","company_name":"Bench Co"'
    .. ',"phone_numbers":[{"number":"+1 415 555 0100","category":"work"}]'
    .. ',"address":{"city":"' .. random_city() .. '","country":"US"}'
    .. ',"tags":["bench"]}'
    .. ',"match":{"field_name":"email","field_value":"' .. email .. '"}}'
  return wrk.format("PUT", BASE .. "/leads/upsert", nil, body)
end

-- PUT /leads/upsert matched on a filterable String custom field, half existing, half new.
generators.upsert_custom = function()
  counter = counter + 1
  local value
  if counter % 2 == 0 then
    value = "ext-" .. random_index()
  else
    value = fresh_key("new")
  end
  local body = '{"properties":{"name":"Bench Lead ' .. counter
    .. '","title":"Buyer","company_name":"Bench Co"'
    .. ',"address":{"city":"' .. random_city() .. '","country":"US"}'
    .. ',"custom_fields":[{"custom_field_definition_id":' .. def_id
    .. ',"value":"' .. value .. '"}]}'
    .. ',"match":{"field_name":"custom","field_value":{"custom_field_definition_id":'
    .. def_id .. ',"value":"' .. value .. '"}}}'
  return wrk.format("PUT", BASE .. "/leads/upsert", nil, body)
end

-- PUT /leads/{random existing id}
generators.put = function()
  counter = counter + 1
  local body = '{"title":"Buyer ' .. counter .. '","details":"updated by the benchmark"}'
  return wrk.format("PUT", BASE .. "/leads/" .. (id_lo + random_index()), nil, body)
end

-- POST /leads/bulk_update with 10 random existing ids.
generators.bulk_update = function()
  counter = counter + 1
  local items = {}
  for k = 1, 10 do
    items[k] = '{"id":' .. (id_lo + random_index()) .. ',"title":"Buyer ' .. counter
      .. '","details":"updated by the benchmark"}'
  end
  local body = '{"leads":[' .. table.concat(items, ",") .. ']}'
  return wrk.format("POST", BASE .. "/leads/bulk_update", nil, body)
end

-- POST /leads/search: a page of 200 leads in one random city.
generators.search = function()
  local body = '{"page_size":200,"city":"' .. random_city() .. '"}'
  return wrk.format("POST", BASE .. "/leads/search", nil, body)
end

-- benchmarks/peers.py: the same create / get / update / filtered list against verdigris
-- and json-server 0.17 (whose records have ids 1..N_LEADS: ID_LO = 1, flat fields).
generators.create = function()
  counter = counter + 1
  local body = '{"name":"Peer Lead ' .. counter .. '","email":{"email":"'
    .. fresh_key("peer") .. '@bench.example","category":"work"}'
    .. ',"title":"Buyer","address":{"city":"' .. random_city() .. '","country":"US"}}'
  return wrk.format("POST", BASE .. "/leads", nil, body)
end

generators.js_create = function()
  counter = counter + 1
  local body = '{"name":"Peer Lead ' .. counter .. '","email":"' .. fresh_key("peer")
    .. '@bench.example","title":"Buyer","city":"' .. random_city() .. '","country":"US"}'
  return wrk.format("POST", "/leads", nil, body)
end

generators.js_get = function()
  return wrk.format("GET", "/leads/" .. (id_lo + random_index()))
end

generators.js_update = function()
  counter = counter + 1
  local body = '{"title":"Buyer ' .. counter .. '","details":"updated by the benchmark"}'
  return wrk.format("PATCH", "/leads/" .. (id_lo + random_index()), nil, body)
end

generators.js_list = function()
  local city = string.gsub(random_city(), " ", "%%20")
  return wrk.format("GET", "/leads?city=" .. city .. "&_page=1&_limit=200")
end

-- POST /leads/search: leads with at least N interactions (1-6), latest contact first.
generators.search_interactions = function()
  local body = '{"page_size":200,"minimum_interaction_count":' .. math.random(1, 6)
    .. ',"sort_by":"inactive_days"}'
  return wrk.format("POST", BASE .. "/leads/search", nil, body)
end

local generate

function init(args)
  scenario = args[1]
  wrk.headers["X-PW-AccessToken"] = args[2]
  wrk.headers["X-PW-UserEmail"] = args[3]
  wrk.headers["X-PW-Application"] = "developer_api"
  wrk.headers["Content-Type"] = "application/json"
  n_leads = tonumber(args[4])
  id_lo = tonumber(args[5])
  nonce = args[6]
  def_id = args[7]
  for city in string.gmatch(args[8], "[^,]+") do
    cities[#cities + 1] = city
  end
  math.randomseed(tonumber(nonce) * 1000 + thread_id)
  generate = generators[scenario]
  if generate == nil then
    error("unknown scenario " .. tostring(scenario))
  end
end

function request()
  return generate()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
