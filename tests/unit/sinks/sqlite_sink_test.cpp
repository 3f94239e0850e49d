// SqliteSink against real SQLite files in temporary directories.
#include "sinks/sqlite/sqlite_sink.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "sinks/sqlite/detail/sqlite_db.hpp"

namespace gb::sinks {
namespace {

namespace fs = std::filesystem;
using records::Quarantined;
using records::Record;
using records::RecordBatch;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "gb-sinks-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path file(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

Record rec(std::uint64_t ordinal, std::string key, std::string raw) {
  return Record{ordinal, std::move(key), std::move(raw)};
}

// Hands out prepared batches; optionally fails instead of producing batch
// number `fail_at`. Counts how often it is asked.
class VectorSource final : public BatchSource {
 public:
  explicit VectorSource(std::vector<RecordBatch> batches, int fail_at = -1)
      : batches_(std::move(batches)), fail_at_(fail_at) {}
  Result<bool> next(RecordBatch& batch) override {
    ++calls_;
    if (static_cast<int>(index_) == fail_at_) return transient_error("connection reset mid-chunk");
    if (index_ >= batches_.size()) return false;
    batch = batches_[index_++];
    return true;
  }
  int calls() const { return calls_; }

 private:
  std::vector<RecordBatch> batches_;
  int fail_at_;
  std::size_t index_ = 0;
  int calls_ = 0;
};

// `count` records with ordinals from `first`, in batches of `per_batch`.
std::vector<RecordBatch> make_batches(const std::string& chunk, std::uint64_t first, std::uint64_t count,
                                      std::uint64_t per_batch) {
  std::vector<RecordBatch> out;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (i % per_batch == 0) out.emplace_back();
    const std::uint64_t ordinal = first + i;
    const std::string key = chunk + "-key-" + std::to_string(ordinal);
    out.back().records.push_back(rec(ordinal, key, "{\"id\":\"" + key + "\",\"n\":" + std::to_string(ordinal) + "}"));
  }
  return out;
}

struct Row {
  std::string job_id, chunk_id;
  std::int64_t ordinal;
  std::string key, payload;
  bool operator<(const Row& o) const {
    return std::tie(job_id, chunk_id, ordinal, key, payload) <
           std::tie(o.job_id, o.chunk_id, o.ordinal, o.key, o.payload);
  }
  bool operator==(const Row& o) const = default;
};

// Reads the file through its own connection, as a user's sqlite3 shell would.
class Reader {
 public:
  explicit Reader(const fs::path& path) {
    auto db = detail::open_db(path.string(), false);
    if (!db) throw std::runtime_error(db.error().describe());
    db_ = std::move(db).value();
  }
  std::int64_t count(const std::string& sql) {
    auto n = detail::query_int(db_.get(), sql.c_str());
    if (!n) throw std::runtime_error(n.error().describe());
    return *n;
  }
  std::vector<Row> records() {
    auto stmt = detail::Statement::prepare(
        db_.get(),
        "SELECT job_id, chunk_id, ordinal, record_key, payload FROM records ORDER BY job_id, chunk_id, ordinal");
    if (!stmt) throw std::runtime_error(stmt.error().describe());
    auto use = stmt->use();
    std::vector<Row> rows;
    while (*stmt->step("read")) {
      rows.push_back({stmt->column_text(0), stmt->column_text(1), stmt->column_int(2), stmt->column_text(3),
                      stmt->column_text(4)});
    }
    return rows;
  }
  sqlite3* db() { return db_.get(); }

 private:
  detail::DbHandle db_;
};

std::vector<Row> expected_rows(const std::string& job, const std::string& chunk,
                               const std::vector<RecordBatch>& batches) {
  std::vector<Row> rows;
  for (const auto& b : batches)
    for (const auto& r : b.records) rows.push_back({job, chunk, static_cast<std::int64_t>(r.ordinal), r.key, r.raw});
  std::sort(rows.begin(), rows.end());
  return rows;
}

// Every behaviour is checked with single-row and with multi-row inserts.
class SqliteSinkTest : public ::testing::TestWithParam<int> {
 protected:
  SqliteSettings settings() const {
    SqliteSettings s;
    s.path = dir_.file("store.db").string();
    s.rows_per_insert = GetParam();
    return s;
  }
  std::unique_ptr<SqliteSink> open() const {
    auto sink = SqliteSink::open(settings());
    if (!sink) throw std::runtime_error(sink.error().describe());
    return std::move(sink).value();
  }
  Reader reader() const { return Reader(dir_.file("store.db")); }

  TempDir dir_;
};

TEST_P(SqliteSinkTest, LandsEveryRecordAndReadsBackExactly) {
  auto sink = open();
  auto batches = make_batches("c1", 0, 37, 10);
  // Unusual but valid UTF-8 and an escaped NUL survive byte for byte.
  batches[1].records[2].raw = "{\"id\":\"c1-key-12\",\"t\":\"\xF0\x9F\x98\x80 caf\xC3\xA9 \\u0000 \\\"q\\\"\"}";
  RecordBatch quarantine_batch;
  const std::string bad_raw = "{\"id\":\"x\",\"t\":\"\xC3\x28\xFF\"}";  // invalid UTF-8
  quarantine_batch.quarantined.push_back(Quarantined{37, "invalid UTF-8 in a string", bad_raw});
  batches.push_back(quarantine_batch);

  std::uint64_t bytes = bad_raw.size();
  for (const auto& b : batches)
    for (const auto& r : b.records) bytes += r.raw.size();

  VectorSource source(batches);
  auto landed = sink->land({"job-1", "c1", "bulk:users"}, source, 2, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_FALSE(landed->already_landed);
  EXPECT_EQ(landed->records, 37u);
  EXPECT_EQ(landed->quarantined, 1u);
  EXPECT_EQ(landed->bytes, bytes);

  auto r = reader();
  EXPECT_EQ(r.records(), expected_rows("job-1", "c1", batches));
  auto q =
      detail::Statement::prepare(r.db(), "SELECT job_id, chunk_id, ordinal, reason, raw, typeof(raw) FROM quarantine");
  ASSERT_TRUE(q.ok());
  auto use = q->use();
  ASSERT_TRUE(*q->step("q"));
  EXPECT_EQ(q->column_text(0), "job-1");
  EXPECT_EQ(q->column_text(1), "c1");
  EXPECT_EQ(q->column_int(2), 37);
  EXPECT_EQ(q->column_text(3), "invalid UTF-8 in a string");
  EXPECT_EQ(q->column_text(4), bad_raw);
  EXPECT_EQ(q->column_text(5), "blob");
  EXPECT_FALSE(*q->step("q"));
  EXPECT_EQ(r.count("SELECT count(*) FROM records WHERE typeof(payload) <> 'text'"), 0);
  // The index on record_key serves lookups by key.
  EXPECT_EQ(r.count("SELECT ordinal FROM records WHERE record_key = 'c1-key-12'"), 12);

  auto landed_ids = sink->landed_chunks("job-1");
  ASSERT_TRUE(landed_ids.ok());
  EXPECT_EQ(*landed_ids, std::vector<std::string>{"c1"});
  auto st = sink->status("job-1");
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->size(), 1u);
  ASSERT_EQ((*st)[0].chunks.size(), 1u);
  const auto& c = (*st)[0].chunks[0];
  EXPECT_EQ(c.state, "landed");
  EXPECT_EQ(c.records, 37u);
  EXPECT_EQ(c.quarantined, 1u);
  EXPECT_EQ(c.bytes, bytes);
  EXPECT_EQ(c.attempts, 2);
  EXPECT_EQ(c.error, "");
}

TEST_P(SqliteSinkTest, LandingTheSameChunkTwiceChangesNothing) {
  auto sink = open();
  auto batches = make_batches("c1", 0, 25, 7);
  VectorSource first(batches);
  ASSERT_TRUE(sink->land({"job-1", "c1", "bulk:users"}, first, 1, std::nullopt).ok());

  // A redelivery, possibly with different content: must not be read at all.
  VectorSource again(make_batches("c1", 100, 5, 5));
  auto second = sink->land({"job-1", "c1", "bulk:users"}, again, 4, std::nullopt);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_TRUE(second->already_landed);
  EXPECT_EQ(second->records, 0u);
  EXPECT_EQ(again.calls(), 0);

  auto r = reader();
  EXPECT_EQ(r.records(), expected_rows("job-1", "c1", batches));
  EXPECT_EQ(r.count("SELECT count(*) FROM chunks"), 1);
  EXPECT_EQ(r.count("SELECT attempts FROM chunks"), 1);
  EXPECT_EQ(r.count("SELECT records FROM chunks"), 25);
}

TEST_P(SqliteSinkTest, SourceFailingMidwayLeavesNothingAndALaterLandingWorks) {
  auto sink = open();
  auto batches = make_batches("c1", 0, 30, 10);
  VectorSource failing(batches, /*fail_at=*/2);
  auto failed = sink->land({"job-1", "c1", "bulk:users"}, failing, 1, std::nullopt);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kTransient);  // the source's error, as it was
  EXPECT_EQ(failing.calls(), 3);

  {
    auto r = reader();
    EXPECT_EQ(r.count("SELECT count(*) FROM records"), 0);
    EXPECT_EQ(r.count("SELECT count(*) FROM chunks"), 0);
    EXPECT_EQ(r.count("SELECT count(*) FROM quarantine"), 0);
  }
  EXPECT_TRUE(sink->landed_chunks("job-1")->empty());

  VectorSource good(batches);
  auto landed = sink->land({"job-1", "c1", "bulk:users"}, good, 2, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(landed->records, 30u);
  EXPECT_EQ(reader().records(), expected_rows("job-1", "c1", batches));
}

TEST_P(SqliteSinkTest, DuplicateOrdinalFromTheSourceFailsTheWholeChunk) {
  auto sink = open();
  auto batches = make_batches("c1", 0, 20, 10);
  batches[1].records[3].ordinal = 4;  // a buggy source repeating a position
  VectorSource source(batches);
  auto landed = sink->land({"job-1", "c1", "bulk:users"}, source, 1, std::nullopt);
  ASSERT_FALSE(landed.ok());
  EXPECT_EQ(landed.error().kind, ErrorKind::kInternal);
  EXPECT_NE(landed.error().message.find("UNIQUE"), std::string::npos) << landed.error().message;
  auto r = reader();
  EXPECT_EQ(r.count("SELECT count(*) FROM records"), 0);
  EXPECT_EQ(r.count("SELECT count(*) FROM chunks"), 0);
}

TEST_P(SqliteSinkTest, MarkFailedThenLandEndsLanded) {
  auto sink = open();
  ASSERT_TRUE(sink->mark_failed({"job-1", "c1", "bulk:users"}, 3, "transient: HTTP 503: unavailable").ok());
  auto st = sink->status("job-1");
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->size(), 1u);
  ASSERT_EQ((*st)[0].chunks.size(), 1u);
  EXPECT_EQ((*st)[0].chunks[0].state, "failed");
  EXPECT_EQ((*st)[0].chunks[0].attempts, 3);
  EXPECT_EQ((*st)[0].chunks[0].error, "transient: HTTP 503: unavailable");
  EXPECT_TRUE(sink->landed_chunks("job-1")->empty());

  auto batches = make_batches("c1", 0, 12, 5);
  VectorSource source(batches);
  auto landed = sink->land({"job-1", "c1", "bulk:users"}, source, 4, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_FALSE(landed->already_landed);
  st = sink->status("job-1");
  ASSERT_TRUE(st.ok());
  const auto& c = (*st)[0].chunks.at(0);
  EXPECT_EQ(c.state, "landed");
  EXPECT_EQ(c.attempts, 4);
  EXPECT_EQ(c.records, 12u);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(reader().records(), expected_rows("job-1", "c1", batches));
}

TEST_P(SqliteSinkTest, MarkFailedAfterLandedDoesNotDowngrade) {
  auto sink = open();
  VectorSource source(make_batches("c1", 0, 8, 8));
  ASSERT_TRUE(sink->land({"job-1", "c1", "bulk:users"}, source, 1, std::nullopt).ok());
  ASSERT_TRUE(sink->mark_failed({"job-1", "c1", "bulk:users"}, 5, "late failure report").ok());
  auto st = sink->status("job-1");
  ASSERT_TRUE(st.ok());
  const auto& c = (*st)[0].chunks.at(0);
  EXPECT_EQ(c.state, "landed");
  EXPECT_EQ(c.attempts, 1);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.records, 8u);
  EXPECT_EQ(*sink->landed_chunks("job-1"), std::vector<std::string>{"c1"});
  EXPECT_EQ(reader().count("SELECT count(*) FROM records"), 8);
}

TEST_P(SqliteSinkTest, ChunkWithNoRecordsLands) {
  auto sink = open();
  VectorSource empty({});
  auto landed = sink->land({"job-1", "000007", "bulk:users"}, empty, 1, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(landed->records, 0u);
  EXPECT_EQ(landed->bytes, 0u);
  auto r = reader();
  EXPECT_EQ(r.count("SELECT count(*) FROM chunks WHERE chunk_id = '000007' AND state = 'landed' AND records = 0"), 1);
  EXPECT_EQ(*sink->landed_chunks("job-1"), std::vector<std::string>{"000007"});
}

TEST_P(SqliteSinkTest, StatusListsJobsAndChunksInOrder) {
  auto sink = open();
  ASSERT_TRUE(sink->upsert_job({"job-b", "bulk:users", "processing", "", -1, ""}).ok());
  ASSERT_TRUE(sink->upsert_job({"job-a", "conversations", "QUEUED", "", -1, ""}).ok());
  // The update keeps the job's place (creation order) and replaces its fields.
  ASSERT_TRUE(sink->upsert_job({"job-b", "bulk:users", "completed", "", 3, ""}).ok());
  for (const char* id : {"c3", "c1"}) {
    VectorSource s(make_batches(id, 0, 4, 4));
    ASSERT_TRUE(sink->land({"job-b", id, "bulk:users"}, s, 1, std::nullopt).ok());
  }
  ASSERT_TRUE(sink->mark_failed({"job-b", "c2", "bulk:users"}, 6, "permanent: HTTP 404: chunk not found").ok());

  auto all = sink->status(std::nullopt);
  ASSERT_TRUE(all.ok()) << all.error().describe();
  ASSERT_EQ(all->size(), 2u);
  const auto& b = (*all)[0];
  EXPECT_EQ(b.job.job_id, "job-b");
  EXPECT_EQ(b.job.type, "bulk:users");
  EXPECT_EQ(b.job.state, "completed");
  EXPECT_EQ(b.job.expected_chunks, 3);
  EXPECT_FALSE(b.updated_at.empty());
  ASSERT_EQ(b.chunks.size(), 3u);
  EXPECT_EQ(b.chunks[0].chunk_id, "c1");
  EXPECT_EQ(b.chunks[1].chunk_id, "c2");
  EXPECT_EQ(b.chunks[1].state, "failed");
  EXPECT_EQ(b.chunks[1].attempts, 6);
  EXPECT_EQ(b.chunks[1].error, "permanent: HTTP 404: chunk not found");
  EXPECT_EQ(b.chunks[2].chunk_id, "c3");
  EXPECT_EQ(b.chunks[2].records, 4u);
  EXPECT_EQ(b.chunks[2].updated_at.size(), std::string("2026-01-01T00:00:00.000Z").size());
  EXPECT_EQ((*all)[1].job.job_id, "job-a");
  EXPECT_EQ((*all)[1].job.state, "QUEUED");
  EXPECT_TRUE((*all)[1].chunks.empty());

  auto one = sink->status(std::string("job-a"));
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].job.job_id, "job-a");
  EXPECT_TRUE(sink->status(std::string("no-such-job"))->empty());
  EXPECT_EQ(sink->status(std::string("bad id")).error().kind, ErrorKind::kInvalidInput);
}

TEST_P(SqliteSinkTest, LandingCreatesTheJobRowWhenNoneExists) {
  auto sink = open();
  VectorSource s(make_batches("c1", 0, 2, 2));
  ASSERT_TRUE(sink->land({"job-x", "c1", "bulk:users"}, s, 1, std::nullopt).ok());
  auto st = sink->status(std::nullopt);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->size(), 1u);
  EXPECT_EQ((*st)[0].job.job_id, "job-x");
  EXPECT_EQ((*st)[0].chunks.size(), 1u);
}

TEST_P(SqliteSinkTest, ReopeningKeepsSchemaDataAndPageSize) {
  auto batches = make_batches("c1", 0, 9, 4);
  {
    auto sink = open();
    EXPECT_EQ(sink->page_size(), 65536);
    VectorSource s(batches);
    ASSERT_TRUE(sink->land({"job-1", "c1", "bulk:users"}, s, 1, std::nullopt).ok());
  }
  SqliteSettings s = settings();
  s.page_size = 4096;  // too late for an existing file: it keeps its own
  auto reopened = SqliteSink::open(s);
  ASSERT_TRUE(reopened.ok()) << reopened.error().describe();
  EXPECT_EQ((*reopened)->page_size(), 65536);
  EXPECT_EQ(*(*reopened)->landed_chunks("job-1"), std::vector<std::string>{"c1"});
  VectorSource again(batches);
  EXPECT_TRUE((*reopened)->land({"job-1", "c1", "bulk:users"}, again, 2, std::nullopt)->already_landed);

  auto r = reader();
  EXPECT_EQ(r.count("PRAGMA user_version"), SqliteSink::kSchemaVersion);
  EXPECT_EQ(
      r.count(
          "SELECT count(*) FROM sqlite_schema WHERE name IN ('jobs','chunks','records','quarantine','records_by_key')"),
      5);
  EXPECT_EQ(r.records(), expected_rows("job-1", "c1", batches));
  auto mode = detail::Statement::prepare(r.db(), "PRAGMA journal_mode");
  auto use = mode->use();
  ASSERT_TRUE(*mode->step("mode"));
  EXPECT_EQ(mode->column_text(0), "wal");
}

TEST_P(SqliteSinkTest, ConcurrentLandingsFromFourThreadsKeepEveryRecordOnce) {
  auto sink = open();
  constexpr int kThreads = 4;
  constexpr int kChunksPerThread = 8;
  std::atomic<int> landed{0}, skipped{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread lands its own chunks, then tries its neighbour's (a redelivery).
      for (int pass = 0; pass < 2; ++pass) {
        const int owner = (t + pass) % kThreads;
        for (int c = 0; c < kChunksPerThread; ++c) {
          const std::string chunk = "t" + std::to_string(owner) + "c" + std::to_string(c);
          VectorSource s(make_batches(chunk, 0, 20, 6));
          auto r = sink->land({"job-1", chunk, "bulk:users"}, s, 1, std::nullopt);
          if (!r) {
            ++failed;
          } else if (r->already_landed) {
            ++skipped;
          } else {
            ++landed;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(landed.load(), kThreads * kChunksPerThread);
  EXPECT_EQ(skipped.load(), kThreads * kChunksPerThread);

  std::vector<Row> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (int c = 0; c < kChunksPerThread; ++c) {
      const std::string chunk = "t" + std::to_string(t) + "c" + std::to_string(c);
      auto rows = expected_rows("job-1", chunk, make_batches(chunk, 0, 20, 6));
      expected.insert(expected.end(), rows.begin(), rows.end());
    }
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(reader().records(), expected);
  EXPECT_EQ(sink->landed_chunks("job-1")->size(), static_cast<std::size_t>(kThreads * kChunksPerThread));
}

TEST_P(SqliteSinkTest, TwoConnectionsOnOneFileLandAChunkOnce) {
  // Two processes (here two connections) racing on the same chunk.
  auto a = open();
  auto b = open();
  auto batches = make_batches("c1", 0, 50, 10);
  LandResult ra, rb;
  std::thread ta([&] {
    VectorSource s(batches);
    ra = *a->land({"job-1", "c1", "bulk:users"}, s, 1, std::nullopt);
  });
  std::thread tb([&] {
    VectorSource s(batches);
    rb = *b->land({"job-1", "c1", "bulk:users"}, s, 1, std::nullopt);
  });
  ta.join();
  tb.join();
  EXPECT_NE(ra.already_landed, rb.already_landed);
  EXPECT_EQ(reader().records(), expected_rows("job-1", "c1", batches));
}

TEST_P(SqliteSinkTest, RejectsIdsThatAreNotIds) {
  auto sink = open();
  VectorSource s(make_batches("c1", 0, 1, 1));
  EXPECT_EQ(sink->land({"job-1", "../c1", "bulk:users"}, s, 1, std::nullopt).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(sink->land({"job 1", "c1", "bulk:users"}, s, 1, std::nullopt).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(sink->mark_failed({"job-1", "", "bulk:users"}, 1, "x").error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(sink->upsert_job({"job'1", "users", "", "", -1, ""}).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(s.calls(), 0);
}

INSTANTIATE_TEST_SUITE_P(RowsPerInsert, SqliteSinkTest, ::testing::Values(1, 16),
                         [](const auto& info) { return "rows" + std::to_string(info.param); });

TEST(SqliteSinkOpen, BadPathIsAClearError) {
  SqliteSettings s;
  s.path = "/nonexistent-gb-dir/sub/store.db";
  auto sink = SqliteSink::open(s);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(sink.error().message.find("/nonexistent-gb-dir/sub/store.db"), std::string::npos) << sink.error().message;
  EXPECT_NE(sink.error().message.find("unable to open database file"), std::string::npos) << sink.error().message;
}

TEST(SqliteSinkOpen, ADirectoryIsAClearError) {
  TempDir dir;
  SqliteSettings s;
  s.path = dir.file("").string();
  auto sink = SqliteSink::open(s);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().kind, ErrorKind::kInvalidInput);
}

TEST(SqliteSinkOpen, AFileThatIsNotADatabaseIsRefused) {
  TempDir dir;
  const auto path = dir.file("notes.txt");
  std::ofstream(path) << std::string(8192, 'x');
  SqliteSettings s;
  s.path = path.string();
  auto sink = SqliteSink::open(s);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(sink.error().message.find("not a database"), std::string::npos) << sink.error().message;
  EXPECT_NE(sink.error().message.find(path.string()), std::string::npos) << sink.error().message;
}

TEST(SqliteSinkOpen, SomeoneElsesDatabaseIsRefused) {
  TempDir dir;
  const auto path = dir.file("other.db");
  {
    auto db = detail::open_db(path.string(), true);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(detail::exec(db->get(), "CREATE TABLE records (x)").ok());
  }
  SqliteSettings s;
  s.path = path.string();
  auto sink = SqliteSink::open(s);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(sink.error().message.find("not a genesys-bulk database"), std::string::npos) << sink.error().message;
}

TEST(SqliteSinkOpen, ANewerSchemaIsRefused) {
  TempDir dir;
  SqliteSettings s;
  s.path = dir.file("store.db").string();
  ASSERT_TRUE(SqliteSink::open(s).ok());
  {
    auto db = detail::open_db(s.path, false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(detail::exec(db->get(), "PRAGMA user_version = 99").ok());
  }
  auto sink = SqliteSink::open(s);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(sink.error().message.find("newer"), std::string::npos) << sink.error().message;
}

TEST(SqliteSinkOpen, BadSettingsAreRefused) {
  TempDir dir;
  SqliteSettings s;
  s.path = dir.file("store.db").string();
  s.page_size = 3000;
  EXPECT_EQ(SqliteSink::open(s).error().kind, ErrorKind::kInvalidInput);
  s.page_size = 4096;
  s.rows_per_insert = 0;
  EXPECT_EQ(SqliteSink::open(s).error().kind, ErrorKind::kInvalidInput);
  s.rows_per_insert = 1;
  s.path = "";
  EXPECT_EQ(SqliteSink::open(s).error().kind, ErrorKind::kInvalidInput);
  EXPECT_FALSE(fs::exists(dir.file("store.db")));
}

TEST(SqliteSinkOpen, PageSizeAppliesToANewFile) {
  TempDir dir;
  SqliteSettings s;
  s.path = dir.file("store.db").string();
  s.page_size = 4096;
  auto sink = SqliteSink::open(s);
  ASSERT_TRUE(sink.ok()) << sink.error().describe();
  EXPECT_EQ((*sink)->page_size(), 4096);
}

}  // namespace
}  // namespace gb::sinks

namespace gb::sinks {
namespace {

TEST(SqliteSinkJobs, FindUnfinishedJobAdoptsTheLatestNonFinalOne) {
  TempDir dir;
  SqliteSettings s;
  s.path = dir.file("store.db").string();
  auto sink = std::move(SqliteSink::open(s)).value();
  const std::vector<std::string> final_states = {"completed", "failed", "cancelled"};
  ASSERT_TRUE(sink->upsert_job({"job-done", "bulk:users", "completed", "", 2, "h1"}).ok());
  ASSERT_TRUE(sink->upsert_job({"job-open", "bulk:users", "processing", "", -1, "h1"}).ok());
  ASSERT_TRUE(sink->upsert_job({"job-other", "bulk:users", "processing", "", -1, "h2"}).ok());
  // An update naming no hash keeps the stored one.
  ASSERT_TRUE(sink->upsert_job({"job-open", "bulk:users", "queued", "", -1, ""}).ok());

  auto found = sink->find_unfinished_job("bulk:users", "h1", final_states);
  ASSERT_TRUE(found.ok()) << found.error().describe();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->job_id, "job-open");
  EXPECT_EQ((*found)->state, "queued");
  EXPECT_EQ((*found)->query_hash, "h1");
  EXPECT_FALSE(sink->find_unfinished_job("conversations", "h1", final_states)->has_value());
  EXPECT_FALSE(sink->find_unfinished_job("bulk:users", "", final_states)->has_value());
  ASSERT_TRUE(sink->upsert_job({"job-open", "bulk:users", "completed", "", 3, ""}).ok());
  EXPECT_FALSE(sink->find_unfinished_job("bulk:users", "h1", final_states)->has_value());
  auto st = sink->status(std::string("job-open"));
  EXPECT_EQ((*st)[0].job.query_hash, "h1");
}

TEST(SqliteSinkApiHealth, KeepsTheLastBreakerStateAcrossReopening) {
  TempDir dir;
  SqliteSettings s;
  s.path = dir.file("store.db").string();
  {
    auto sink = std::move(SqliteSink::open(s)).value();
    auto none = sink->api_health();
    ASSERT_TRUE(none.ok()) << none.error().describe();
    EXPECT_FALSE(none->has_value());
    ASSERT_TRUE(sink->record_api_health("open", "consecutive overload responses").ok());
    ASSERT_TRUE(sink->record_api_health("half-open", "cooldown over, probing").ok());
  }
  auto sink = std::move(SqliteSink::open(s)).value();
  auto health = sink->api_health();
  ASSERT_TRUE(health.ok()) << health.error().describe();
  ASSERT_TRUE(health->has_value());
  EXPECT_EQ((*health)->breaker_state, "half-open");
  EXPECT_EQ((*health)->reason, "cooldown over, probing");
  EXPECT_FALSE((*health)->updated_at.empty());
}

}  // namespace
}  // namespace gb::sinks

namespace gb::sinks {
namespace {

TEST(SqliteSinkLedger, ErrorsAreRedactedAndBoundedAtACharacterBoundary) {
  TempDir dir;
  SqliteSettings s;
  s.path = dir.file("store.db").string();
  auto sink = std::move(SqliteSink::open(s)).value();
  ASSERT_TRUE(
      sink->mark_failed({"job-1", "c1", "bulk:users"}, 1, "permanent: HTTP 403: Authorization: Bearer abc.def.ghi")
          .ok());
  std::string long_error(4095, 'x');
  long_error += "\xC3\xA9 and more";  // a two-byte character across the 4096-byte limit
  ASSERT_TRUE(sink->mark_failed({"job-1", "c2", "bulk:users"}, 1, long_error).ok());
  auto st = sink->status(std::string("job-1"));
  ASSERT_TRUE(st.ok());
  const auto& chunks = (*st)[0].chunks;
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].error, "permanent: HTTP 403: Authorization: Bearer ***");
  EXPECT_EQ(chunks[1].error, std::string(4095, 'x'));
}

// Bytes read in pieces from memory, as a spill file's large frame is read.
class PiecewiseBytes final : public records::LargeBytes {
 public:
  explicit PiecewiseBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  std::uint64_t size() const override { return bytes_.size(); }
  Result<std::size_t> read(std::uint64_t offset, char* out, std::size_t n) const override {
    n = std::min<std::size_t>({n, bytes_.size() - offset, 3000});  // short reads, as pread may give
    std::copy_n(bytes_.data() + offset, n, out);
    return n;
  }

 private:
  std::string bytes_;
};

TEST(SqliteSinkLargeQuarantine, ARecordTooLargeToHoldIsStreamedIntoItsQuarantineRowWithTheRestOfItsChunk) {
  TempDir dir;
  SqliteSettings s;
  s.path = dir.file("store.db").string();
  auto sink = std::move(SqliteSink::open(s)).value();
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) % 251);
  RecordBatch batch;
  batch.records.push_back(rec(0, "k0", "{\"id\":\"k0\"}"));
  Quarantined large;
  large.ordinal = 1;
  large.reason = "record larger than the maximum record size of 1048576 bytes";
  large.large = std::make_shared<PiecewiseBytes>(big);
  batch.quarantined.push_back(large);
  batch.records.push_back(rec(2, "k2", "{\"id\":\"k2\"}"));
  VectorSource source({batch});
  auto landed = sink->land({"job-1", "c1", "bulk:users"}, source, 1, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_EQ(landed->records, 2u);
  EXPECT_EQ(landed->quarantined, 1u);
  EXPECT_EQ(landed->bytes, big.size() + 2 * std::string("{\"id\":\"k0\"}").size());

  Reader r(dir.file("store.db"));
  auto q = detail::Statement::prepare(r.db(), "SELECT ordinal, reason, raw FROM quarantine");
  ASSERT_TRUE(q.ok());
  auto use = q->use();
  ASSERT_TRUE(*q->step("q"));
  EXPECT_EQ(q->column_int(0), 1);
  EXPECT_EQ(q->column_text(1), large.reason);
  const std::string stored = q->column_text(2);
  ASSERT_EQ(stored.size(), big.size());
  EXPECT_TRUE(stored == big);
}

}  // namespace
}  // namespace gb::sinks
