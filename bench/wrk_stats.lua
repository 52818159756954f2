-- Prints wrk's results as one JSON line (latencies in milliseconds).
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    '{"p50": %.3f, "p95": %.3f, "requests": %d, "seconds": %.3f, "bytes": %d, '
    .. '"errors": %d, "non2xx": %d}\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.duration / 1e6, summary.bytes, errors, summary.errors.status))
end
