#pragma once
// The jobs the simulator holds (given at start or created through the API)
// and their life-cycle: queued, then processing, then the ending chosen when
// the job was created, on the injected clock. Thread-safe.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "simulator/data.hpp"
#include "simulator/faults.hpp"
#include "simulator/simulator.hpp"

namespace gb::simulator::detail {

enum class Ending { kCompleted, kFailed, kCancelled, kExpired };

struct Job {
  std::string type;  // JobSpec::type form
  DataParams data;
  SteadyTime created{};
  Ending ending = Ending::kCompleted;
  std::vector<std::uint64_t> chunk_order;  // the order the status lists chunks in
  // Guarded by JobStore's mutex (read and written through JobStore only):
  bool cancelled = false;
  SteadyTime cancelled_at{};
  std::vector<std::uint64_t> chunk_sizes;  // memoised body sizes, filled on first status
  bool summary_ready = false;
  std::string checksum;
  std::uint64_t flawed[3] = {0, 0, 0};  // malformed, invalid utf-8, \u0000
};

// What /__sim/stats reports of a job beside its data (from ensure_summary).
struct JobSummaryFigures {
  std::string checksum;
  std::uint64_t flawed[3] = {0, 0, 0};
};

class JobStore {
 public:
  // Keeps references: all three must outlive the store. The ending of each
  // new job is drawn from `faults` (job-failed, job-cancelled, job-expired).
  JobStore(const Settings& settings, const Clock& clock, FaultScheduler& faults);

  // A new job with the next id. nullptr when `from_api` and the store holds
  // its maximum (a client cannot grow it without bound).
  std::shared_ptr<Job> add(const std::string& type, std::uint64_t records, std::uint64_t chunk_records, bool from_api);

  std::vector<JobSummary> summaries() const;
  std::vector<std::shared_ptr<Job>> all() const;
  // nullptr when there is no such job (of that kind).
  std::shared_ptr<Job> find(const std::string& id) const;
  std::shared_ptr<Job> find(const std::string& id, JobKind kind) const;

  // The state as the API names it at `now`: analytics QUEUED / PENDING /
  // FULFILLED / FAILED / CANCELLED / EXPIRED, bulk queued / processing /
  // completed / failed / cancelled. `percent`, when given, gets the progress.
  std::string state_name(const Job& job, SteadyTime now, double* percent) const;
  void cancel(Job& job);

  // The chunk body sizes memoised by the first completed status (empty before).
  std::vector<std::uint64_t> chunk_sizes(const Job& job) const;
  void set_chunk_sizes(Job& job, std::vector<std::uint64_t> sizes);

  // The key checksum and flaw counts of all the job's records, computed once.
  JobSummaryFigures summary(Job& job);

 private:
  static constexpr std::size_t kMaxJobs = 10000;

  const Settings& settings_;
  const Clock& clock_;
  FaultScheduler& faults_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Job>> jobs_;
  std::unordered_map<std::string, std::shared_ptr<Job>> by_id_;
};

}  // namespace gb::simulator::detail
