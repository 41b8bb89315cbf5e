-- bench_ingest.lua — wrk script of the webhook-ingest benchmark
-- (bench_ingest.py runs it; docs/benchmarks.md#webhook-ingest).
--
--   wrk -t T -c C -d D -s bench_ingest.lua URL -- FILE T MODE [RATE]
--
-- FILE holds pre-signed deliveries, one per line: "<signature header name>
-- TAB <its value> TAB <JSON body>" (X-Hub-Signature-256 for Meta,
-- x-twitter-webhooks-signature for X). Thread i of T takes lines i, i+T,
-- i+2T, ... and sends each exactly once, so all requests of a run are
-- distinct deliveries.
-- MODE "once": a thread that has sent all its lines stops (and says so in
-- the summary); MODE "wrap": it starts over (for the hello-world ceiling,
-- where repeats do not matter).
-- RATE (requests/s over all threads, optional): pace the requests. wrk has
-- no rate option (wrk2 is not in Debian), so delay() keeps a per-thread
-- schedule of absolute send times, one every T/RATE s, and makes each
-- connection wait until its slot. A slot in the past (the server is behind)
-- is sent at once; the schedule never runs more than 50 ms behind the clock,
-- so a stall is not followed by a burst. Latency is still wrk's: from the
-- moment the request is written to its answer.
--
-- done() prints one line "BENCH_JSON {...}" with the counts and latency
-- percentiles (microseconds) for bench_ingest.py to read.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk, bench_timespec *ts);
  int getpid(void);
  int poll(void *fds, unsigned long nfds, int timeout);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
local nthreads = 0

-- wrk runs each thread's init() on its main thread, one after the other,
-- and starts a thread as soon as its init() is done; its clock starts after
-- the last one. Loading the deliveries takes a while, so without a barrier
-- thread 0 would send alone, unclocked, while the others load. Each init()
-- adds a byte to this file; each thread waits until all have.
local ready_path = string.format("%s/bench_ingest.%d.ready", os.getenv("TMPDIR") or "/tmp",
                                 ffi.C.getpid())
local total = 0
local started = false

local function barrier()
  started = true
  while true do
    local f = io.open(ready_path, "r")
    local size = f and f:seek("end") or 0
    if f then f:close() end
    if size >= total then return end
    ffi.C.poll(nil, 0, 1)
  end
end

function setup(thread)
  thread:set("index", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

local reqs = {}
local n, pos = 0, 0
local wrap = false
local interval, slot = nil, nil

function init(args)
  local file = args[1]
  total = tonumber(args[2])
  wrap = args[3] == "wrap"
  if args[4] and tonumber(args[4]) > 0 then
    interval = 1000.0 * total / tonumber(args[4])
  end
  local path = wrk.path
  local line_no = 0
  for line in io.lines(file) do
    if line_no % total == index then
      local t1 = line:find("\t", 1, true)
      local t2 = line:find("\t", t1 + 1, true)
      n = n + 1
      reqs[n] = wrk.format("POST", path, {
        ["Content-Type"] = "application/json",
        [line:sub(1, t1 - 1)] = line:sub(t1 + 1, t2 - 1),
      }, line:sub(t2 + 1))
    end
    line_no = line_no + 1
  end
  exhausted = 0
  sent = 0
  paced, resets = 0, 0 -- delay() calls; times the schedule was > 50 ms behind
  -- thread 0's init() comes first: it starts the file afresh
  local f = assert(io.open(ready_path, index == 0 and "w" or "a"))
  f:write("x")
  f:close()
end

local verified = false

function request()
  if index == 0 and not verified then
    -- wrk's check of the script (thread 0's state, on wrk's main thread,
    -- before the other threads exist): one request, discarded
    verified = true
    return wrk.format("GET", "/")
  end
  if not started then
    barrier()
  end
  if pos >= n then
    if not wrap then
      -- nothing distinct left: stop this thread; the request below is a
      -- GET to a path no server stores, so it can never count as an event
      exhausted = 1
      wrk.thread:stop()
      return wrk.format("GET", "/bench-exhausted")
    end
    pos = 0
  end
  pos = pos + 1
  sent = pos
  return reqs[pos]
end

if os.getenv("BENCH_PACED") == "1" then
  function delay()
    if not started then
      barrier()
    end
    local t = now_ms()
    paced = paced + 1
    if slot == nil or slot < t - 50 then
      resets = resets + (slot and 1 or 0)
      slot = t
    end
    slot = slot + interval
    local d = slot - t
    return d > 0 and math.floor(d) or 0
  end
end

function done(summary, latency, requests)
  os.remove(ready_path)
  local exhausted_threads, sent_total, paced_total, resets_total = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    exhausted_threads = exhausted_threads + (t:get("exhausted") or 0)
    sent_total = sent_total + (t:get("sent") or 0)
    paced_total = paced_total + (t:get("paced") or 0)
    resets_total = resets_total + (t:get("resets") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"mean":%.1f,"max":%d},' ..
    '"exhausted_threads":%d,"drawn":%d,"paced":%d,"resets":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max,
    exhausted_threads, sent_total, paced_total, resets_total))
end
