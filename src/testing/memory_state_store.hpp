#pragma once
// A sinks::StateStore held in memory, for tests of landings that keep their
// ledger elsewhere (ObjectLanding over files or S3). It keeps the interface's
// contract as a real store does: commit_landed is first writer wins,
// mark_failed never downgrades a landed chunk, record_job_key is first writer
// wins, status() orders jobs by creation and chunks by id. One mutex makes it
// thread-safe. Times are ISO 8601 UTC from the system clock; "most recently
// updated" uses a counter, so two updates in one millisecond still order.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "sinks/state_store.hpp"

namespace gb::fixtures {

class MemoryStateStore final : public sinks::StateStore {
 public:
  Status upsert_job(const sinks::JobInfo& job) override {
    std::lock_guard lock(mutex_);
    auto& row = job_row(job.job_id);
    const std::string hash = job.query_hash.empty() ? row.job.query_hash : job.query_hash;
    row.job = job;
    row.job.query_hash = hash;
    touch(row);
    return ok_status();
  }

  Result<bool> is_landed(const sinks::ChunkRef& chunk) override {
    std::lock_guard lock(mutex_);
    ++is_landed_calls_;
    const auto* c = find_chunk(chunk);
    return c != nullptr && c->status.state == "landed";
  }

  Result<std::vector<std::string>> landed_chunks(const std::string& job_id) override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    if (auto it = jobs_.find(job_id); it != jobs_.end()) {
      for (const auto& [id, c] : it->second.chunks) {
        if (c.status.state == "landed") out.push_back(id);
      }
    }
    return out;
  }

  Result<std::vector<sinks::LandedChunk>> landed_chunk_cursors(const std::string& job_id) override {
    std::lock_guard lock(mutex_);
    std::vector<sinks::LandedChunk> out;
    if (auto it = jobs_.find(job_id); it != jobs_.end()) {
      for (const auto& [id, c] : it->second.chunks) {
        if (c.status.state == "landed") out.push_back(sinks::LandedChunk{id, c.next_cursor});
      }
    }
    return out;
  }

  Result<bool> commit_landed(const sinks::ChunkRef& chunk, const sinks::LandResult& landed, int attempts,
                             const std::optional<std::string>& next_cursor) override {
    std::lock_guard lock(mutex_);
    if (fail_commits_ > 0) {
      --fail_commits_;
      return internal_error("memory state store: commit_landed failed as the test asked");
    }
    auto& row = job_row(chunk.job_id);
    if (row.job.type.empty()) row.job.type = chunk.type;
    auto& c = row.chunks[chunk.chunk_id];
    if (c.status.state == "landed") return false;
    c.status.chunk_id = chunk.chunk_id;
    c.status.state = "landed";
    c.status.records = landed.records;
    c.status.quarantined = landed.quarantined;
    c.status.bytes = landed.bytes;
    c.status.attempts = attempts;
    c.status.error.clear();
    c.status.checksum = landed.checksum;
    c.status.updated_at = now();
    c.next_cursor = next_cursor;
    touch(row);
    ++commits_;
    return true;
  }

  Status mark_failed(const sinks::ChunkRef& chunk, int attempts, const std::string& error) override {
    std::lock_guard lock(mutex_);
    auto& row = job_row(chunk.job_id);
    auto& c = row.chunks[chunk.chunk_id];
    if (c.status.state == "landed") return ok_status();
    c.status.chunk_id = chunk.chunk_id;
    c.status.state = "failed";
    c.status.attempts = attempts;
    c.status.error = error;
    c.status.updated_at = now();
    touch(row);
    return ok_status();
  }

  Result<std::optional<std::string>> find_job_by_key(const std::string& key) override {
    std::lock_guard lock(mutex_);
    if (!sinks::is_valid_idempotency_key(key)) return invalid_input("memory state store: invalid idempotency key");
    auto it = keys_.find(key);
    if (it == keys_.end()) return std::optional<std::string>{};
    return std::optional<std::string>{it->second};
  }

  Result<std::string> record_job_key(const std::string& key, const sinks::JobInfo& job) override {
    if (!sinks::is_valid_idempotency_key(key)) return invalid_input("memory state store: invalid idempotency key");
    auto upserted = upsert_job(job);
    if (!upserted) return std::move(upserted).error();
    std::lock_guard lock(mutex_);
    return keys_.try_emplace(key, job.job_id).first->second;
  }

  Result<std::vector<sinks::JobStatus>> status(const std::optional<std::string>& job_id) override {
    std::lock_guard lock(mutex_);
    std::vector<const JobRow*> rows;
    for (const auto& [id, row] : jobs_) {
      if (!job_id || *job_id == id) rows.push_back(&row);
    }
    std::sort(rows.begin(), rows.end(), [](const JobRow* a, const JobRow* b) { return a->sequence < b->sequence; });
    std::vector<sinks::JobStatus> out;
    for (const auto* row : rows) {
      sinks::JobStatus js;
      js.job = row->job;
      js.created_at = row->created_at;
      js.updated_at = row->updated_at;
      for (const auto& [id, c] : row->chunks) js.chunks.push_back(c.status);
      out.push_back(std::move(js));
    }
    return out;
  }

  Result<std::optional<sinks::JobInfo>> find_unfinished_job(const std::string& type, const std::string& query_hash,
                                                            const std::vector<std::string>& final_states) override {
    std::lock_guard lock(mutex_);
    const JobRow* best = nullptr;
    for (const auto& [id, row] : jobs_) {
      if (query_hash.empty() || row.job.type != type || row.job.query_hash != query_hash) continue;
      if (std::find(final_states.begin(), final_states.end(), row.job.state) != final_states.end()) continue;
      if (best == nullptr || row.update_sequence > best->update_sequence) best = &row;
    }
    if (best == nullptr) return std::optional<sinks::JobInfo>{};
    return std::optional<sinks::JobInfo>{best->job};
  }

  Status record_api_health(const std::string& breaker_state, const std::string& reason) override {
    std::lock_guard lock(mutex_);
    health_ = sinks::ApiHealth{breaker_state, reason, now()};
    return ok_status();
  }

  Result<std::optional<sinks::ApiHealth>> api_health() override {
    std::lock_guard lock(mutex_);
    return health_;
  }

  // For tests: the next `n` commit_landed calls fail (kInternal), as a lost
  // database would after the objects were written.
  void fail_next_commits(int n) {
    std::lock_guard lock(mutex_);
    fail_commits_ = n;
  }
  // For tests: how many commit_landed calls recorded a row, and how many
  // is_landed calls were made.
  int commits() const {
    std::lock_guard lock(mutex_);
    return commits_;
  }
  int is_landed_calls() const {
    std::lock_guard lock(mutex_);
    return is_landed_calls_;
  }

 private:
  struct ChunkRow {
    sinks::ChunkStatus status;
    std::optional<std::string> next_cursor;
  };
  struct JobRow {
    sinks::JobInfo job;
    std::map<std::string, ChunkRow> chunks;  // ordered by chunk id
    std::string created_at;
    std::string updated_at;
    std::uint64_t sequence = 0;         // creation order
    std::uint64_t update_sequence = 0;  // last update's order
  };

  // Caller holds mutex_.
  JobRow& job_row(const std::string& job_id) {
    auto [it, inserted] = jobs_.try_emplace(job_id);
    if (inserted) {
      it->second.job.job_id = job_id;
      it->second.created_at = now();
      it->second.updated_at = it->second.created_at;
      it->second.sequence = next_sequence_++;
    }
    return it->second;
  }

  // Caller holds mutex_.
  void touch(JobRow& row) {
    row.updated_at = now();
    row.update_sequence = next_sequence_++;
  }

  const ChunkRow* find_chunk(const sinks::ChunkRef& chunk) const {
    auto job = jobs_.find(chunk.job_id);
    if (job == jobs_.end()) return nullptr;
    auto c = job->second.chunks.find(chunk.chunk_id);
    return c == job->second.chunks.end() ? nullptr : &c->second;
  }

  // ISO 8601 UTC with milliseconds.
  static std::string now() {
    const auto t = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return buf;
  }

  mutable std::mutex mutex_;
  std::map<std::string, JobRow> jobs_;
  std::map<std::string, std::string> keys_;
  std::optional<sinks::ApiHealth> health_;
  std::uint64_t next_sequence_ = 0;
  int fail_commits_ = 0;
  int commits_ = 0;
  int is_landed_calls_ = 0;
};

}  // namespace gb::fixtures
