-- wrk script: replays pre-signed Alexa requests in a cycle, each thread from its own offset.
-- Usage: wrk ... -s bench/alexa.lua URL -- REQUESTS_FILE CERT_URL
-- REQUESTS_FILE holds one request per line: "<Signature-256>\t<raw JSON body>".

local requests = {}
local position = 0

function init(args)
  local headers = {
    ["Content-Type"] = "application/json",
    ["SignatureCertChainUrl"] = args[2],
  }
  for line in io.lines(args[1]) do
    local signature, body = line:match("^([^\t]+)\t(.*)$")
    headers["Signature-256"] = signature
    requests[#requests + 1] = wrk.format("POST", "/alexa", headers, body)
  end
  position = math.random(#requests)
end

function request()
  position = position % #requests + 1
  return requests[position]
end

function done(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d, "status_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout + errors.status, errors.status))
end
