#pragma once
// The PostgreSQL store (`--sink postgresql://USER:PASS@HOST:PORT/DB`): the
// same tables as SQLite's (jobs, chunks = the ledger, records with payload
// as jsonb, quarantine with raw bytea, job_keys, api_health), created and
// migrated by versioned migrations. It lands chunks and holds the state
// store, so a fleet of workers can share one database. See
// docs/adr/0011-postgres-landing.md for how a chunk lands and why.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "sinks/landing.hpp"
#include "sinks/state_store.hpp"

namespace gb::sinks {

// How land() writes a chunk. kLedgerFirst is the default and the fastest
// that stays exactly once (ADR 0011); kStaging is kept to measure against.
enum class PostgresLandingMode {
  // Claims the chunk's ledger row first (a racing duplicate waits on that
  // row, then finds it landed), then COPYs the records straight into
  // `records`, then fills in the row's counts; one transaction.
  kLedgerFirst,
  // COPYs into a temporary staging table, then INSERT ... SELECT ... ON
  // CONFLICT DO NOTHING into `records`, then the ledger row; one transaction.
  kStaging,
};

enum class PostgresCopyFormat { kText, kBinary };

struct PostgresSettings {
  // A libpq connection URI (postgresql://...) or key=value string. A
  // password in it never appears in messages (redacted_postgres_url).
  std::string url;
  // Connections for landings: max_concurrent_landings(). One more is kept
  // for the state store's calls, so they never wait behind a landing.
  int pool_size = 4;
  PostgresLandingMode landing = PostgresLandingMode::kLedgerFirst;
  PostgresCopyFormat copy_format = PostgresCopyFormat::kBinary;
};

// `url` with its password replaced by "***" (URI user:password@, a
// password= query parameter, or a password=... word), for messages and logs.
std::string redacted_postgres_url(std::string_view url);

// Thread-safe. Every call takes a connection from the pool; a connection
// that was lost (the server restarted, the network failed) is dropped and the
// call fails with kTransient, and the next call connects again. land() then
// costs a retry of the chunk's transaction, never a record: what a failed
// attempt wrote is rolled back.
//
// Records jsonb refuses (a \u0000 escape, invalid UTF-8, invalid JSON,
// numbers out of numeric's range) are kept raw in the quarantine with the
// reason; they count as quarantined, and the chunk still lands. jsonb itself
// judges the records left to the store (Record::left_to_store); when it
// refuses one, the transaction is rolled back and the chunk lands again from
// its rewound source, every record checked before the COPY (jsonb_check.hpp)
// so that each refused one goes to the quarantine.
class PostgresSink final : public StateStore, public Landing {
 public:
  // Connects once, creates or migrates the schema (under an advisory lock,
  // so several processes may open one database at once). kInvalidInput for
  // bad settings, wrong credentials, an unknown database, a database with
  // tables that are not ours or a schema newer than this program;
  // kTransient when the server cannot be reached.
  static Result<std::unique_ptr<PostgresSink>> open(const PostgresSettings& settings);
  ~PostgresSink() override;
  PostgresSink(const PostgresSink&) = delete;
  PostgresSink& operator=(const PostgresSink&) = delete;

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
  Result<std::optional<JobInfo>> find_unfinished_job(const std::string& type, const std::string& query_hash,
                                                     const std::vector<std::string>& final_states) override;
  Status record_api_health(const std::string& breaker_state, const std::string& reason) override;
  Result<std::optional<ApiHealth>> api_health() override;

  // Landing
  Result<LandResult> land(const ChunkRef& chunk, BatchSource& source, int attempts,
                          const std::optional<std::string>& next_cursor) override;
  int max_concurrent_landings() const override;
  bool judges_json() const override { return true; }
  // Per landing connection: the COPY piece being filled and libpq's buffers.
  std::uint64_t memory_bytes() const override;
  Result<LandedKeys> read_landed_keys(const std::string& job_id) override;

  static constexpr int kSchemaVersion = 1;

 private:
  struct Impl;
  explicit PostgresSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gb::sinks
