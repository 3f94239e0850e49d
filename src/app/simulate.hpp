#pragma once
// `genesys-bulk simulate`: the Genesys Cloud API simulator on loopback, from
// start to stop. The options arrive as the user typed them (strings) and are
// checked here, so every bad value gets one clear line.
#include <cstdio>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace gb::app {

struct SimulateOptions {
  std::string host = "127.0.0.1";
  std::string port = "0";
  std::string seed = "1";
  std::vector<std::string> jobs;
  std::string records_per_job = "1000";
  std::string chunk_records = "5000";
  std::string client_id = "sim-client";
  std::string client_secret = "sim-secret";
  std::string job_seconds = "2";
  std::string token_ttl = "86399";
  std::string rate_limit = "300/60";
  std::string record_bytes = "0";
  std::string huge_chunk_mb = "0";
  std::string threads = "4";
  std::string cache_mb = "512";
  std::string slow_ms = "1000";
  std::string retry_after = "2";
  std::string outage;  // AFTER_SECONDS:DURATION_SECONDS
  bool out_of_order = false;
  // Fault rates, by flag name (without the leading --fault-).
  std::vector<std::pair<std::string, std::string>> fault_values;
};

// One --fault-<name> option: its name (without --fault-) and help text.
struct SimulateFaultFlag {
  const char* name;
  const char* help;
};
std::span<const SimulateFaultFlag> simulate_fault_flags();

// Checks `options`, starts the simulator, writes one JSON line to `out`
// ({"port": N, "jobs": [{"jobId", "type", "records"}...]}), serves until
// SIGINT or SIGTERM, then stops it. kInvalidInput with one line for a bad
// option (nothing started); another error when the server cannot start.
// Blocks SIGINT and SIGTERM in the calling thread (and the server's threads).
Status run_simulate(const SimulateOptions& options, std::FILE* out);

}  // namespace gb::app
