// SqliteSink's worker-facing parts: page cursors in the ledger, idempotency
// keys, the current schema over a version 2 file, and two processes on one file.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sinks/sqlite/detail/sqlite_db.hpp"
#include "sinks/sqlite/sqlite_sink.hpp"

namespace gb::sinks {
namespace {

namespace fs = std::filesystem;

class Dir {
 public:
  Dir() {
    std::string pattern = (fs::temp_directory_path() / "gb-sinks-keys-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string db() const { return (path_ / "store.db").string(); }

 private:
  fs::path path_;
};

std::unique_ptr<SqliteSink> open_sink(const std::string& path) {
  SqliteSettings s;
  s.path = path;
  auto sink = SqliteSink::open(s);
  if (!sink) throw std::runtime_error(sink.error().describe());
  return std::move(sink).value();
}

// `count` records of one chunk in one batch.
class Records final : public BatchSource {
 public:
  Records(std::string chunk, std::uint64_t count) : chunk_(std::move(chunk)), count_(count) {}
  Result<bool> next(records::RecordBatch& batch) override {
    batch.records.clear();
    batch.quarantined.clear();
    if (done_) return false;
    done_ = true;
    for (std::uint64_t i = 0; i < count_; ++i) {
      const std::string key = chunk_ + "-" + std::to_string(i);
      batch.records.push_back(records::Record{i, key, "{\"id\":\"" + key + "\"}"});
    }
    return true;
  }

 private:
  std::string chunk_;
  std::uint64_t count_;
  bool done_ = false;
};

std::int64_t count(const std::string& path, const char* sql) {
  auto db = detail::open_db(path, false);
  if (!db) throw std::runtime_error(db.error().describe());
  auto n = detail::query_int(db->get(), sql);
  if (!n) throw std::runtime_error(n.error().describe());
  return *n;
}

TEST(SqlitePageCursors, APageRowKeepsTheNextCursorAndABulkChunkNone) {
  Dir dir;
  auto sink = open_sink(dir.db());
  Records p1("p1", 3), p2("p2", 2), c("c", 1);
  ASSERT_TRUE(sink->land({"job-1", "000001", "bulk:users"}, p1, 1, "cursor-2").ok());
  ASSERT_TRUE(sink->land({"job-1", "000002", "bulk:users"}, p2, 1, "").ok());
  ASSERT_TRUE(sink->land({"job-1", "chunk-x", "bulk:users"}, c, 1, std::nullopt).ok());
  auto rows = sink->landed_chunk_cursors("job-1");
  ASSERT_TRUE(rows.ok()) << rows.error().describe();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].chunk_id, "000001");
  EXPECT_EQ((*rows)[0].next_cursor, std::optional<std::string>("cursor-2"));
  EXPECT_EQ((*rows)[1].next_cursor, std::optional<std::string>(""));  // the last page
  EXPECT_EQ((*rows)[2].chunk_id, "chunk-x");
  EXPECT_FALSE((*rows)[2].next_cursor.has_value());
  // A landed page lands once, cursor or not.
  Records again("p1", 3);
  EXPECT_TRUE(sink->land({"job-1", "000001", "bulk:users"}, again, 2, "other")->already_landed);
  EXPECT_EQ((*sink->landed_chunk_cursors("job-1"))[0].next_cursor, std::optional<std::string>("cursor-2"));
}

TEST(SqliteIdempotencyKeys, AKeyNamesTheFirstJobRecordedUnderIt) {
  Dir dir;
  auto sink = open_sink(dir.db());
  EXPECT_EQ(*sink->find_job_by_key("task-1"), std::nullopt);
  JobInfo job{"job-1", "bulk:users", "created", "", -1, "hash"};
  auto recorded = sink->record_job_key("task-1", job);
  ASSERT_TRUE(recorded.ok()) << recorded.error().describe();
  EXPECT_EQ(*recorded, "job-1");
  EXPECT_EQ(*sink->find_job_by_key("task-1"), std::optional<std::string>("job-1"));
  // The job's row came with it, in the same transaction.
  auto status = sink->status(std::string("job-1"));
  ASSERT_EQ(status->size(), 1u);
  EXPECT_EQ((*status)[0].job.state, "created");
  EXPECT_FALSE((*status)[0].created_at.empty());
  // A second record under the same key keeps the first job.
  JobInfo other{"job-2", "bulk:users", "created", "", -1, "hash"};
  EXPECT_EQ(*sink->record_job_key("task-1", other), "job-1");
  // Keys from the broker are bounded and printable.
  EXPECT_EQ(sink->find_job_by_key("").error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(sink->find_job_by_key(std::string(256, 'k')).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(sink->find_job_by_key("a b").error().kind, ErrorKind::kInvalidInput);
  // Another connection (another worker process) sees it.
  auto second = open_sink(dir.db());
  EXPECT_EQ(*second->find_job_by_key("task-1"), std::optional<std::string>("job-1"));
}

TEST(SqliteSchemaVersion3, AVersion2FileIsMigratedAndKeepsItsLedger) {
  Dir dir;
  {
    auto sink = open_sink(dir.db());
    Records p1("p1", 2);
    ASSERT_TRUE(sink->land({"job-1", "000001", "bulk:users"}, p1, 1, std::nullopt).ok());
  }
  {
    // Make it the file version 2 wrote: no cursor or checksum column, no keys table.
    auto db = detail::open_db(dir.db(), false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(detail::exec(db->get(),
                             "ALTER TABLE chunks DROP COLUMN next_cursor; ALTER TABLE chunks DROP COLUMN checksum; "
                             "DROP TABLE job_keys; "
                             "PRAGMA user_version = 2;")
                    .ok());
  }
  auto sink = open_sink(dir.db());
  EXPECT_EQ(count(dir.db(), "PRAGMA user_version"), SqliteSink::kSchemaVersion);
  auto rows = sink->landed_chunk_cursors("job-1");
  ASSERT_TRUE(rows.ok()) << rows.error().describe();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_FALSE((*rows)[0].next_cursor.has_value());  // written before cursors were kept
  EXPECT_TRUE(sink->record_job_key("task-1", JobInfo{"job-1", "users", "created", "", -1, ""}).ok());
}

// Two worker processes of one machine share the file: WAL and a busy timeout
// let both in, and the ledger, checked inside BEGIN IMMEDIATE, lets one land.
TEST(SqliteTwoProcesses, RacingOnOneChunkLandItOnce) {
  Dir dir;
  open_sink(dir.db());  // the schema exists before the race
  EXPECT_EQ(count(dir.db(), "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
  constexpr std::uint64_t kRecords = 20'000;  // long enough a transaction for the two to overlap
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(go[1]);
    char byte = 0;
    if (::read(go[0], &byte, 1) != 1) ::_exit(10);
    SqliteSettings s;
    s.path = dir.db();
    auto sink = SqliteSink::open(s);
    if (!sink) ::_exit(11);
    Records r("c1", kRecords);
    auto landed = (*sink)->land({"job-1", "c1", "bulk:users"}, r, 1, std::nullopt);
    ::_exit(!landed ? 12 : landed->already_landed ? 1 : 0);
  }
  ::close(go[0]);
  auto sink = open_sink(dir.db());
  ASSERT_EQ(::write(go[1], "g", 1), 1);
  ::close(go[1]);
  Records r("c1", kRecords);
  auto landed = sink->land({"job-1", "c1", "bulk:users"}, r, 1, std::nullopt);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  const int child_code = WEXITSTATUS(status);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  ASSERT_TRUE(child_code == 0 || child_code == 1) << "child failed with " << child_code;
  EXPECT_NE(landed->already_landed, child_code == 1) << "exactly one of the two lands it";
  EXPECT_EQ(count(dir.db(), "SELECT count(*) FROM records"), static_cast<std::int64_t>(kRecords));
  EXPECT_EQ(count(dir.db(), "SELECT count(*) FROM chunks WHERE state = 'landed'"), 1);
}

}  // namespace
}  // namespace gb::sinks
