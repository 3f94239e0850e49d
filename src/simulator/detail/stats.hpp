#pragma once
// /__sim/stats: requests counted by route and status, faults fired, and each
// job's state, size and key checksum (what a test compares a store against).
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "base/clock.hpp"
#include "simulator/detail/job_store.hpp"
#include "simulator/faults.hpp"

namespace gb::simulator::detail {

// Thread-safe.
class RequestStats {
 public:
  void count(const std::string& route, int status);
  // Appends "requests":{"total":N,"byRoute":{"GET /x":{"200":n,...},...}}.
  void append_json(std::string& out) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<int, std::uint64_t>> counts_;
  std::uint64_t total_ = 0;
};

// The whole /__sim/stats body. Computes each job's checksum on first use.
std::string stats_json(const RequestStats& requests, const FaultScheduler& faults, JobStore& jobs, SteadyTime now);

}  // namespace gb::simulator::detail
