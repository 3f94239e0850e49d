#pragma once
// What the e2e tests share to run `genesys-bulk export` against the
// simulator started in the test process.
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../integration/export_harness.hpp"
#include "simulator/simulator.hpp"

namespace gb::testing {

// The simulator on a free loopback port; throws when it cannot start.
inline std::unique_ptr<simulator::Server> start_simulator(const simulator::Settings& s) {
  auto server = simulator::Server::start(s);
  if (!server.ok()) throw std::runtime_error(server.error().describe());
  return std::move(*server);
}

// The test simulator with one job of `records` (chunks or pages of 1,000)
// whose every API call takes 100 ms: time for a test to kill, stop or
// restart something while the export is mid-way.
inline simulator::Settings slow_simulator(const std::string& type = "bulk:interactions",
                                          std::uint64_t records = 30000) {
  simulator::Settings sim = quick_simulator();
  sim.jobs = {{type, records, 1000}};
  sim.faults.slow.probability = 1.0;
  sim.faults.slow_delay = std::chrono::milliseconds(100);
  return sim;
}

// `export` of the simulator's job `job_id` into `sink`, polling every
// second, quiet, its spill files in `spill_dir`; `extra` goes last
// (`--state URL`, ...).
inline std::vector<std::string> export_cli_args(const simulator::Server& server, const std::string& type,
                                                const std::string& job_id, const std::string& sink,
                                                const std::string& spill_dir,
                                                const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {
      "export",      "--api-url", server.base_url(), "--login-url", server.base_url(), "--type", type,
      "--job-id",    job_id,      "--sink",          sink,          "--poll-interval", "1",      "--no-progress",
      "--log-level", "warn",      "--spill-dir",     spill_dir};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace gb::testing
