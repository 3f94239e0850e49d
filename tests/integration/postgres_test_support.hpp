#pragma once
// What the PostgreSQL store's tests share: a server per test process, a
// fresh database per test, record sources, and an independent reader (plain
// libpq, not the store's own code) for exact-set assertions.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "records/record.hpp"
#include "sinks/postgres/postgres_sink.hpp"
#include "testing/postgres_server.hpp"

namespace gb::pgtest {

using records::Quarantined;
using records::Record;
using records::RecordBatch;

// One server for the test process (ctest runs each test in its own).
inline fixtures::PostgresServer& server() {
  static fixtures::PostgresServer instance;
  return instance;
}

// A new, empty database on server(); its URL.
inline std::string fresh_database() {
  static std::atomic<int> n{0};
  const std::string name = "gbtest_" + std::to_string(n++);
  server().psql("CREATE DATABASE " + name);
  return server().url(name);
}

// Hands out prepared batches; optionally fails (transiently) instead of
// producing batch number `fail_at`, or runs `before` before producing
// batch number `hook_at`. Counts how often it is asked.
class VectorSource final : public sinks::BatchSource {
 public:
  explicit VectorSource(std::vector<RecordBatch> batches, int fail_at = -1)
      : batches_(std::move(batches)), fail_at_(fail_at) {}
  void on_batch(int at, std::function<void()> hook) {
    hook_at_ = at;
    hook_ = std::move(hook);
  }
  Result<bool> next(RecordBatch& batch) override {
    ++calls_;
    if (static_cast<int>(index_) == hook_at_ && hook_) hook_();
    if (static_cast<int>(index_) == fail_at_) return transient_error("connection reset mid-chunk");
    if (index_ >= batches_.size()) return false;
    batch = batches_[index_++];
    return true;
  }
  bool rewind(RecordBatch& /*lent*/) override {
    if (!rewindable_) return false;
    index_ = 0;
    ++rewinds_;
    return true;
  }
  void allow_rewind() { rewindable_ = true; }
  int calls() const { return calls_; }
  int rewinds() const { return rewinds_; }

 private:
  std::vector<RecordBatch> batches_;
  int fail_at_;
  int hook_at_ = -1;
  std::function<void()> hook_;
  std::size_t index_ = 0;
  int calls_ = 0;
  bool rewindable_ = false;
  int rewinds_ = 0;
};

// `count` records of `chunk` with ordinals from `first`, `per_batch` a batch;
// each about `pad` bytes longer than its key.
inline std::vector<RecordBatch> make_batches(const std::string& chunk, std::uint64_t first, std::uint64_t count,
                                             std::uint64_t per_batch, std::size_t pad = 0) {
  std::vector<RecordBatch> out;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (i % per_batch == 0) out.emplace_back();
    const std::uint64_t ordinal = first + i;
    const std::string key = chunk + "-key-" + std::to_string(ordinal);
    out.back().records.push_back(Record{ordinal, key,
                                        "{\"id\":\"" + key + "\",\"n\":" + std::to_string(ordinal) +
                                            ",\"text\":\"tab\\t quote\\\" back\\\\slash\",\"pad\":\"" +
                                            std::string(pad, 'x') + "\"}"});
  }
  return out;
}

inline std::vector<std::string> keys_of(const std::vector<RecordBatch>& batches) {
  std::vector<std::string> keys;
  for (const auto& b : batches)
    for (const auto& r : b.records) keys.push_back(r.key);
  return keys;
}

// Reads a database with plain libpq, as a user's psql would.
class Reader {
 public:
  explicit Reader(const std::string& url) : conn_(PQconnectdb(url.c_str()), &PQfinish) {
    if (PQstatus(conn_.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn_.get()));
  }
  // Every row of `sql`, each column as text (NULL as "<null>").
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn_.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
      throw std::runtime_error(sql + ": " + PQresultErrorMessage(res.get()));
    }
    std::vector<std::vector<std::string>> out;
    for (int r = 0; r < PQntuples(res.get()); ++r) {
      std::vector<std::string> row;
      for (int c = 0; c < PQnfields(res.get()); ++c) {
        row.push_back(
            PQgetisnull(res.get(), r, c)
                ? "<null>"
                : std::string(PQgetvalue(res.get(), r, c), static_cast<std::size_t>(PQgetlength(res.get(), r, c))));
      }
      out.push_back(std::move(row));
    }
    return out;
  }
  std::string one(const std::string& sql) {
    auto r = rows(sql);
    if (r.size() != 1 || r[0].size() != 1) throw std::runtime_error(sql + ": not one value");
    return r[0][0];
  }
  long count(const std::string& sql) { return std::stol(one(sql)); }
  // The job's record keys, sorted (duplicates kept).
  std::vector<std::string> keys(const std::string& job_id) {
    std::vector<std::string> out;
    for (auto& row : rows("SELECT record_key FROM records WHERE job_id = '" + job_id + "'")) out.push_back(row[0]);
    std::sort(out.begin(), out.end());
    return out;
  }
  // A quarantined record's raw bytes, exactly (bytea in binary).
  std::string raw(const std::string& job_id, const std::string& chunk_id, std::uint64_t ordinal) {
    const std::string sql = "SELECT raw FROM quarantine WHERE job_id = $1 AND chunk_id = $2 AND ordinal = $3";
    const std::string ord = std::to_string(ordinal);
    const char* values[] = {job_id.c_str(), chunk_id.c_str(), ord.c_str()};
    std::unique_ptr<PGresult, decltype(&PQclear)> res(
        PQexecParams(conn_.get(), sql.c_str(), 3, nullptr, values, nullptr, nullptr, 1), &PQclear);
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK || PQntuples(res.get()) != 1) {
      throw std::runtime_error("no quarantined record " + chunk_id + "/" + ord);
    }
    return std::string(PQgetvalue(res.get(), 0, 0), static_cast<std::size_t>(PQgetlength(res.get(), 0, 0)));
  }

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

inline std::unique_ptr<sinks::PostgresSink> open_sink(
    const std::string& url, int pool_size = 4,
    sinks::PostgresLandingMode mode = sinks::PostgresLandingMode::kLedgerFirst,
    sinks::PostgresCopyFormat format = sinks::PostgresCopyFormat::kBinary) {
  sinks::PostgresSettings s;
  s.url = url;
  s.pool_size = pool_size;
  s.landing = mode;
  s.copy_format = format;
  auto sink = sinks::PostgresSink::open(s);
  if (!sink) throw std::runtime_error(sink.error().describe());
  return std::move(sink).value();
}

inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace gb::pgtest
