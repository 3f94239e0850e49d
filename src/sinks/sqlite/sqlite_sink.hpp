#pragma once
// The default store: one SQLite file (`--sink sqlite:PATH`). Tables jobs,
// chunks (the ledger), records and quarantine; see docs/adr/0004 for why the
// settings below have the defaults they have.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "sinks/landing.hpp"
#include "sinks/state_store.hpp"

namespace gb::sinks {

enum class SqliteSync { kOff, kNormal, kFull };

struct SqliteSettings {
  std::string path;
  // Bytes per page, a power of two in [512, 65536]. SQLite fixes it when the
  // first table is created, so it only applies to a new file. 64 KiB measured
  // fastest for 1-20 KB JSON records (ADR 0004).
  int page_size = 65536;
  // Rows per INSERT statement (1 = single-row inserts). ADR 0004.
  int rows_per_insert = 1;
  // How long a call waits for another process's write lock before failing
  // (transiently).
  std::chrono::milliseconds busy_timeout{10'000};
  // WAL with NORMAL is durable against a process crash; a power loss may lose
  // the last transactions, never corrupt the file. FULL adds an fsync per commit.
  SqliteSync synchronous = SqliteSync::kNormal;
  // Page cache per connection. Bounded so landing a huge chunk stays within
  // the process's memory budget: SQLite spills dirty pages to the WAL.
  std::int64_t cache_size_kib = std::int64_t{4} * 1024;
  // After a checkpoint the WAL is truncated to this size.
  std::int64_t journal_size_limit = std::int64_t{64} * 1024 * 1024;
};

// Both the landing and the state store, over one SQLite connection: a
// chunk's records and its ledger row commit in one transaction. The file is in WAL mode with a busy
// timeout (SqliteSettings::busy_timeout), so the worker processes of one
// machine can share it. Every call takes one mutex (SQLite has one
// writer anyway), so it is thread-safe; callers feed it from one writer thread
// for speed. land() holds the write lock while it reads its BatchSource: a
// source that blocks on the network blocks other writers meanwhile. Several
// processes may share a file: each land() is BEGIN IMMEDIATE, and the ledger is
// checked inside it, so a chunk still lands once.
class SqliteSink final : public StateStore, public Landing {
 public:
  // Opens or creates the file, applies the pragmas, creates or migrates the
  // schema (PRAGMA user_version). kInvalidInput for bad settings, a path that
  // cannot be opened, a file that is not ours or is from a newer version.
  static Result<std::unique_ptr<SqliteSink>> open(const SqliteSettings& settings);
  ~SqliteSink() override;
  SqliteSink(const SqliteSink&) = delete;
  SqliteSink& operator=(const SqliteSink&) = delete;

  // StateStore
  Status upsert_job(const JobInfo& job) override;
  Result<bool> is_landed(const ChunkRef& chunk) override;
  Result<std::vector<std::string>> landed_chunks(const std::string& job_id) override;
  Result<std::vector<LandedChunk>> landed_chunk_cursors(const std::string& job_id) override;
  Result<bool> commit_landed(const ChunkRef& chunk, const LandResult& landed, int attempts,
                             const std::optional<std::string>& next_cursor) override;
  Status mark_failed(const ChunkRef& chunk, int attempts, const std::string& error) override;
  Result<std::optional<std::string>> find_job_by_key(const std::string& key) override;
  Result<std::string> record_job_key(const std::string& key, const JobInfo& job) override;
  Result<std::vector<JobStatus>> status(const std::optional<std::string>& job_id) override;
  // One indexed query (jobs_by_query).
  Result<std::optional<JobInfo>> find_unfinished_job(const std::string& type, const std::string& query_hash,
                                                     const std::vector<std::string>& final_states) override;
  Status record_api_health(const std::string& breaker_state, const std::string& reason) override;
  Result<std::optional<ApiHealth>> api_health() override;

  // Landing (one writer: max_concurrent_landings() stays 1)
  Result<LandResult> land(const ChunkRef& chunk, BatchSource& source, int attempts,
                          const std::optional<std::string>& next_cursor) override;
  // Its page cache (SqliteSettings::cache_size_kib).
  std::uint64_t memory_bytes() const override;
  // Through its own read connection (sqlite_reader.hpp).
  Result<LandedKeys> read_landed_keys(const std::string& job_id) override;

  // The file's actual page size (an existing file keeps its own).
  int page_size() const;

  static constexpr int kSchemaVersion = 4;

 private:
  struct Impl;
  explicit SqliteSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gb::sinks
