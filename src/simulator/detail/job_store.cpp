#include "simulator/detail/job_store.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>

#include "base/hash.hpp"
#include "simulator/checksum.hpp"

namespace gb::simulator::detail {

JobStore::JobStore(const Settings& settings, const Clock& clock, FaultScheduler& faults)
    : settings_(settings), clock_(clock), faults_(faults) {}

std::shared_ptr<Job> JobStore::add(const std::string& type, std::uint64_t records, std::uint64_t chunk_records,
                                   bool from_api) {
  auto job = std::make_shared<Job>();
  job->type = type;
  auto kind = parse_job_type(type, &job->data.bulk_type);
  job->data.kind = kind.ok() ? *kind : JobKind::kBulk;
  job->data.seed = settings_.seed;
  job->data.records = records;
  job->data.chunk_records = chunk_records;
  job->data.record_bytes = settings_.record_bytes;
  job->data.huge_chunk_bytes = static_cast<std::size_t>(settings_.faults.huge_chunk_mb) << 20;
  job->data.huge_record_bytes = static_cast<std::size_t>(settings_.faults.huge_record_mb) << 20;
  job->data.malformed_record = settings_.faults.malformed_record;
  job->data.invalid_utf8 = settings_.faults.invalid_utf8;
  job->data.nul_escape = settings_.faults.nul_escape;
  job->created = clock_.now();
  if (faults_.fire(FaultKind::kJobFailed)) {
    job->ending = Ending::kFailed;
  } else if (faults_.fire(FaultKind::kJobCancelled)) {
    job->ending = Ending::kCancelled;
  } else if (job->data.kind != JobKind::kBulk && faults_.fire(FaultKind::kJobExpired)) {
    job->ending = Ending::kExpired;
  }
  std::lock_guard lock(mutex_);
  if (from_api && jobs_.size() >= kMaxJobs) return nullptr;
  job->data.job_id = job_id_for(settings_.seed, jobs_.size());
  const auto n = chunk_count(job->data);
  job->chunk_order.resize(n);
  for (std::uint64_t i = 0; i < n; ++i) job->chunk_order[i] = i;
  if (settings_.faults.chunks_out_of_order && n > 1) {
    // A deterministic shuffle that always moves something.
    std::uint64_t state = mix64(settings_.seed ^ fnv1a64(job->data.job_id));
    for (std::uint64_t i = n - 1; i > 0; --i) {
      state = mix64(state);
      std::swap(job->chunk_order[i], job->chunk_order[state % (i + 1)]);
    }
    if (std::is_sorted(job->chunk_order.begin(), job->chunk_order.end()))
      std::reverse(job->chunk_order.begin(), job->chunk_order.end());
  }
  jobs_.push_back(job);
  by_id_[job->data.job_id] = job;
  return job;
}

std::vector<JobSummary> JobStore::summaries() const {
  std::lock_guard lock(mutex_);
  std::vector<JobSummary> out;
  for (const auto& j : jobs_) out.push_back({j->data.job_id, j->type, j->data.records});
  return out;
}

std::vector<std::shared_ptr<Job>> JobStore::all() const {
  std::lock_guard lock(mutex_);
  return jobs_;
}

std::shared_ptr<Job> JobStore::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return nullptr;
  return it->second;
}

std::shared_ptr<Job> JobStore::find(const std::string& id, JobKind kind) const {
  auto job = find(id);
  return job && job->data.kind == kind ? job : nullptr;
}

std::string JobStore::state_name(const Job& job, SteadyTime now, double* percent) const {
  const bool analytics = job.data.kind != JobKind::kBulk;
  bool cancelled = false;
  {
    std::lock_guard lock(mutex_);
    cancelled = job.cancelled;
  }
  const double total = settings_.job_seconds;
  const double elapsed = std::chrono::duration<double>(now - job.created).count();
  if (percent) *percent = total <= 0 ? 100.0 : std::min(100.0, 100.0 * elapsed / total);
  if (cancelled) return analytics ? "CANCELLED" : "cancelled";
  if (elapsed < total / 3) return analytics ? "QUEUED" : "queued";
  if (elapsed < total) return analytics ? "PENDING" : "processing";
  switch (job.ending) {
    case Ending::kCompleted: return analytics ? "FULFILLED" : "completed";
    case Ending::kFailed: return analytics ? "FAILED" : "failed";
    case Ending::kCancelled: return analytics ? "CANCELLED" : "cancelled";
    case Ending::kExpired: return analytics ? "EXPIRED" : "failed";
  }
  return "unknown";
}

void JobStore::cancel(Job& job) {
  std::lock_guard lock(mutex_);
  job.cancelled = true;
  job.cancelled_at = clock_.now();
}

std::vector<std::uint64_t> JobStore::chunk_sizes(const Job& job) const {
  std::lock_guard lock(mutex_);
  return job.chunk_sizes;
}

void JobStore::set_chunk_sizes(Job& job, std::vector<std::uint64_t> sizes) {
  std::lock_guard lock(mutex_);
  job.chunk_sizes = std::move(sizes);
}

JobSummaryFigures JobStore::summary(Job& job) {
  bool ready = false;
  {
    std::lock_guard lock(mutex_);
    ready = job.summary_ready;
  }
  if (!ready) {
    // Computed outside the lock: it walks every record of the job.
    KeyChecksum sum;
    std::uint64_t flawed[3] = {0, 0, 0};
    for (std::uint64_t i = 0; i < job.data.records; ++i) {
      sum.add(record_key(job.data, i));
      switch (flaw_of(job.data, i)) {
        case Flaw::kNone: break;
        case Flaw::kMalformed: ++flawed[0]; break;
        case Flaw::kInvalidUtf8: ++flawed[1]; break;
        case Flaw::kNulEscape: ++flawed[2]; break;
      }
    }
    std::lock_guard lock(mutex_);
    job.checksum = sum.hex();
    std::copy(std::begin(flawed), std::end(flawed), std::begin(job.flawed));
    job.summary_ready = true;
  }
  std::lock_guard lock(mutex_);
  JobSummaryFigures figures;
  figures.checksum = job.checksum;
  std::copy(std::begin(job.flawed), std::end(job.flawed), std::begin(figures.flawed));
  return figures;
}

}  // namespace gb::simulator::detail
