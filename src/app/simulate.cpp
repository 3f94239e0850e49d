#include "app/simulate.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <charconv>
#include <memory>
#include <optional>

#include "base/json.hpp"
#include "simulator/simulator.hpp"

namespace gb::app {
namespace {

template <class T>
std::optional<T> parse_number(const std::string& text) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(const std::string& text) {
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Result<simulator::JobSpec> parse_job(const std::string& text) {
  // TYPE:RECORDS[:CHUNK_RECORDS], TYPE itself maybe "bulk:<jobType>".
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (true) {
    auto c = text.find(':', i);
    parts.push_back(text.substr(i, c == std::string::npos ? std::string::npos : c - i));
    if (c == std::string::npos) break;
    i = c + 1;
  }
  std::size_t at = 1;
  simulator::JobSpec spec;
  if (!parts.empty() && parts[0] == "bulk" && parts.size() >= 2) {
    spec.type = "bulk:" + parts[1];
    at = 2;
  } else {
    spec.type = parts[0];
  }
  if (parts.size() < at + 1 || parts.size() > at + 2) {
    return invalid_input("--job '" + text + "': expected TYPE:RECORDS[:CHUNK_RECORDS]");
  }
  auto records = parse_number<std::uint64_t>(parts[at]);
  if (!records) return invalid_input("--job '" + text + "': RECORDS must be a whole number");
  spec.records = *records;
  if (parts.size() == at + 2) {
    auto chunk = parse_number<std::uint64_t>(parts[at + 1]);
    if (!chunk || *chunk == 0) return invalid_input("--job '" + text + "': CHUNK_RECORDS must be >= 1");
    spec.chunk_records = *chunk;
  }
  std::string bulk;
  if (auto kind = simulator::parse_job_type(spec.type, &bulk); !kind) {
    return invalid_input("--job '" + text + "': " + kind.error().message);
  }
  return spec;
}

struct FaultFlag {
  SimulateFaultFlag flag;
  simulator::FaultRate simulator::Faults::*field;
};

const std::vector<FaultFlag>& fault_flags() {
  using F = simulator::Faults;
  static const std::vector<FaultFlag> flags = {
      {{"429", "429 Too Many Requests with Retry-After on API requests"}, &F::too_many_requests},
      {{"5xx", "502/503/504 on API requests"}, &F::server_error},
      {{"reset", "connection reset mid-body on chunk and page responses"}, &F::reset_mid_body},
      {{"truncate", "body cut short on chunk and page responses"}, &F::truncated_body},
      {{"malformed", "malformed record (per record)"}, &F::malformed_record},
      {{"invalid-utf8", "invalid UTF-8 inside a string (per record)"}, &F::invalid_utf8},
      {{"nul", "\\u0000 escape inside a string (per record)"}, &F::nul_escape},
      {{"revoke-token", "token revoked before it expires (401)"}, &F::revoke_token},
      {{"403", "403 missing.permissions on API requests"}, &F::forbidden},
      {{"job-failed", "jobs ending failed / FAILED (per job)"}, &F::job_failed},
      {{"job-cancelled", "jobs ending cancelled / CANCELLED (per job)"}, &F::job_cancelled},
      {{"job-expired", "analytics jobs ending EXPIRED (per job)"}, &F::job_expired},
      {{"slow", "responses delayed by --slow-ms"}, &F::slow},
  };
  return flags;
}

Result<simulator::Settings> to_settings(const SimulateOptions& f) {
  simulator::Settings s;
  s.host = f.host;
  auto port = parse_number<std::uint16_t>(f.port);
  if (!port) return invalid_input("--port must be 0-65535, got '" + f.port + "'");
  s.port = *port;
  auto seed = parse_number<std::uint64_t>(f.seed);
  if (!seed) return invalid_input("--seed must be a whole number, got '" + f.seed + "'");
  s.seed = *seed;
  for (const auto& j : f.jobs) {
    auto spec = parse_job(j);
    if (!spec) return spec.error();
    s.jobs.push_back(*spec);
  }
  auto rpj = parse_number<std::uint64_t>(f.records_per_job);
  if (!rpj) return invalid_input("--records-per-job must be a whole number");
  s.records_per_job = *rpj;
  auto cr = parse_number<std::uint64_t>(f.chunk_records);
  if (!cr || *cr == 0) return invalid_input("--chunk-records must be >= 1");
  s.chunk_records = *cr;
  if (f.client_id.empty() || f.client_secret.empty())
    return invalid_input("--client-id and --client-secret must not be empty");
  s.client_id = f.client_id;
  s.client_secret = f.client_secret;
  auto js = parse_double(f.job_seconds);
  if (!js || *js < 0 || *js > 86400) return invalid_input("--job-seconds must be a number from 0 to 86400");
  s.job_seconds = *js;
  auto ttl = parse_number<std::int64_t>(f.token_ttl);
  if (!ttl || *ttl < 1) return invalid_input("--token-ttl must be a whole number of seconds >= 1");
  s.token_ttl = std::chrono::seconds(*ttl);
  const auto slash = f.rate_limit.find('/');
  auto rl_n = parse_number<int>(f.rate_limit.substr(0, slash));
  auto rl_s = slash == std::string::npos ? std::nullopt : parse_number<int>(f.rate_limit.substr(slash + 1));
  if (!rl_n || !rl_s || *rl_n < 0 || *rl_s < 1)
    return invalid_input("--rate-limit must be N/SECONDS, e.g. 300/60 (N=0: no limit)");
  s.rate_limit_requests = *rl_n;
  s.rate_limit_window_seconds = *rl_s;
  auto rb = parse_number<std::size_t>(f.record_bytes);
  if (!rb || *rb > (std::size_t{64} << 20)) return invalid_input("--record-bytes must be a whole number up to 64 MiB");
  s.record_bytes = *rb;
  auto huge = parse_number<std::uint64_t>(f.huge_chunk_mb);
  if (!huge || *huge > 4096) return invalid_input("--huge-chunk-mb must be a whole number up to 4096");
  s.faults.huge_chunk_mb = *huge;
  auto threads = parse_number<unsigned>(f.threads);
  if (!threads || *threads < 1 || *threads > 256) return invalid_input("--threads must be 1-256");
  s.threads = *threads;
  auto cache = parse_number<std::size_t>(f.cache_mb);
  if (!cache || *cache > 65536) return invalid_input("--cache-mb must be a whole number up to 65536");
  s.cache_bytes = *cache << 20;
  auto slow = parse_number<std::int64_t>(f.slow_ms);
  if (!slow || *slow < 0 || *slow > 600000) return invalid_input("--slow-ms must be 0-600000");
  s.faults.slow_delay = std::chrono::milliseconds(*slow);
  auto ra = parse_number<int>(f.retry_after);
  if (!ra || *ra < 0 || *ra > 86400) return invalid_input("--retry-after must be 0-86400 seconds");
  s.faults.retry_after_seconds = *ra;
  s.faults.chunks_out_of_order = f.out_of_order;
  if (!f.outage.empty()) {
    const auto colon = f.outage.find(':');
    auto after = parse_number<std::int64_t>(f.outage.substr(0, colon));
    auto length = colon == std::string::npos ? std::nullopt : parse_number<std::int64_t>(f.outage.substr(colon + 1));
    if (!after || !length || *after < 0 || *length < 0) return invalid_input("--outage must be AFTER_SECONDS:SECONDS");
    s.faults.outage_after = std::chrono::seconds(*after);
    s.faults.outage_duration = std::chrono::seconds(*length);
  }
  for (const auto& [name, value] : f.fault_values) {
    auto rate = simulator::parse_fault_rate(value);
    if (!rate) return invalid_input("--fault-" + name + ": " + rate.error().message);
    for (const auto& flag : fault_flags()) {
      if (name == flag.flag.name) s.faults.*(flag.field) = *rate;
    }
  }
  return s;
}

}  // namespace

std::span<const SimulateFaultFlag> simulate_fault_flags() {
  static const std::vector<SimulateFaultFlag> flags = [] {
    std::vector<SimulateFaultFlag> out;
    for (const auto& flag : fault_flags()) out.push_back(flag.flag);
    return out;
  }();
  return flags;
}

Status run_simulate(const SimulateOptions& options, std::FILE* out) {
  auto settings = to_settings(options);
  if (!settings) return settings.error();
  // Block the stop signals before the server starts its threads, then wait for one.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto server = simulator::Server::start(*settings);
  if (!server) return server.error();
  std::string line = fmt::format("{{\"port\": {}, \"jobs\": [", (*server)->port());
  bool first = true;
  for (const auto& job : (*server)->jobs()) {
    if (!first) line += ", ";
    first = false;
    line += "{\"jobId\": " + json_string(job.job_id) + ", \"type\": " + json_string(job.type) +
            fmt::format(", \"records\": {}}}", job.records);
  }
  line += "]}\n";
  std::fputs(line.c_str(), out);
  std::fflush(out);
  int sig = 0;
  sigwait(&stop, &sig);
  server->reset();
  return ok_status();
}

}  // namespace gb::app
