// PostgresSink as the state store, against a private PostgreSQL 15: the same
// behaviours as SqliteSink's (tests/unit/sinks/), read back through the
// store and, where it matters, through plain libpq.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "postgres_test_support.hpp"

namespace gb::sinks {
namespace {

using pgtest::make_batches;
using pgtest::open_sink;
using pgtest::Reader;
using pgtest::VectorSource;

class PostgresState : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures::PostgresServer::available()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
    url_ = pgtest::fresh_database();
    sink_ = open_sink(url_);
  }
  std::string url_;
  std::unique_ptr<PostgresSink> sink_;
};

TEST_F(PostgresState, StatusListsJobsAndChunksInOrder) {
  ASSERT_TRUE(sink_->upsert_job({"job-b", "bulk:users", "processing", "", -1, ""}).ok());
  ASSERT_TRUE(sink_->upsert_job({"job-a", "conversations", "QUEUED", "", -1, ""}).ok());
  // The update keeps the job's place (creation order) and replaces its fields.
  ASSERT_TRUE(sink_->upsert_job({"job-b", "bulk:users", "completed", "", 3, ""}).ok());
  for (const char* id : {"c3", "c1"}) {
    VectorSource s(make_batches(id, 0, 4, 4));
    ASSERT_TRUE(sink_->land({"job-b", id, "bulk:users"}, s, 1, std::nullopt).ok());
  }
  ASSERT_TRUE(sink_->mark_failed({"job-b", "c2", "bulk:users"}, 6, "permanent: HTTP 404: chunk not found").ok());

  auto all = sink_->status(std::nullopt);
  ASSERT_TRUE(all.ok()) << all.error().describe();
  ASSERT_EQ(all->size(), 2u);
  const auto& b = (*all)[0];
  EXPECT_EQ(b.job.job_id, "job-b");
  EXPECT_EQ(b.job.type, "bulk:users");
  EXPECT_EQ(b.job.state, "completed");
  EXPECT_EQ(b.job.expected_chunks, 3);
  EXPECT_EQ(b.updated_at.size(), std::string("2026-01-01T00:00:00.000Z").size()) << b.updated_at;
  EXPECT_LE(b.created_at, b.updated_at);
  ASSERT_EQ(b.chunks.size(), 3u);
  EXPECT_EQ(b.chunks[0].chunk_id, "c1");
  EXPECT_EQ(b.chunks[1].chunk_id, "c2");
  EXPECT_EQ(b.chunks[1].state, "failed");
  EXPECT_EQ(b.chunks[1].attempts, 6);
  EXPECT_EQ(b.chunks[1].error, "permanent: HTTP 404: chunk not found");
  EXPECT_EQ(b.chunks[2].chunk_id, "c3");
  EXPECT_EQ(b.chunks[2].state, "landed");
  EXPECT_EQ(b.chunks[2].records, 4u);
  EXPECT_EQ(b.chunks[2].updated_at.size(), std::string("2026-01-01T00:00:00.000Z").size());
  EXPECT_EQ((*all)[1].job.job_id, "job-a");
  EXPECT_EQ((*all)[1].job.state, "QUEUED");
  EXPECT_TRUE((*all)[1].chunks.empty());

  auto one = sink_->status(std::string("job-a"));
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].job.job_id, "job-a");
  EXPECT_TRUE(sink_->status(std::string("no-such-job"))->empty());
  EXPECT_EQ(sink_->status(std::string("bad id")).error().kind, ErrorKind::kInvalidInput);
}

TEST_F(PostgresState, UpsertJobKeepsTheQueryHashWhenGivenNone) {
  ASSERT_TRUE(sink_->upsert_job({"job-1", "conversations", "QUEUED", "", -1, "hash-1"}).ok());
  ASSERT_TRUE(sink_->upsert_job({"job-1", "conversations", "RUNNING", "", 2, ""}).ok());
  auto st = sink_->status(std::string("job-1"));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)[0].job.query_hash, "hash-1");
  EXPECT_EQ((*st)[0].job.state, "RUNNING");
  ASSERT_TRUE(sink_->upsert_job({"job-1", "conversations", "RUNNING", "", 2, "hash-2"}).ok());
  EXPECT_EQ((*sink_->status(std::string("job-1")))[0].job.query_hash, "hash-2");
}

TEST_F(PostgresState, FindUnfinishedJobAdoptsTheLatestNotFinal) {
  const std::vector<std::string> finals = {"FULFILLED", "FAILED", "CANCELLED"};
  EXPECT_FALSE(sink_->find_unfinished_job("conversations", "h", finals)->has_value());
  ASSERT_TRUE(sink_->upsert_job({"old", "conversations", "RUNNING", "", -1, "h"}).ok());
  ASSERT_TRUE(sink_->upsert_job({"done", "conversations", "FULFILLED", "", -1, "h"}).ok());
  ASSERT_TRUE(sink_->upsert_job({"other-type", "users", "RUNNING", "", -1, "h"}).ok());
  ASSERT_TRUE(sink_->upsert_job({"new", "conversations", "QUEUED", "", -1, "h"}).ok());
  auto found = sink_->find_unfinished_job("conversations", "h", finals);
  ASSERT_TRUE(found.ok()) << found.error().describe();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->job_id, "new");
  EXPECT_EQ((*found)->query_hash, "h");
  // Updated last wins.
  ASSERT_TRUE(sink_->upsert_job({"old", "conversations", "RUNNING", "", 5, "h"}).ok());
  EXPECT_EQ((*sink_->find_unfinished_job("conversations", "h", finals))->job_id, "old");
  // A job named by the user (no hash) is never adopted.
  EXPECT_FALSE(sink_->find_unfinished_job("conversations", "", finals)->has_value());
  EXPECT_FALSE(sink_->find_unfinished_job("conversations", "other", finals)->has_value());
}

TEST_F(PostgresState, MarkFailedThenLandEndsLanded) {
  const ChunkRef c1{"job-1", "c1", "users"};
  ASSERT_TRUE(sink_->mark_failed(c1, 3, "transient: HTTP 503: unavailable").ok());
  auto st = sink_->status("job-1");
  ASSERT_TRUE(st.ok());
  ASSERT_EQ((*st)[0].chunks.size(), 1u);
  EXPECT_EQ((*st)[0].chunks[0].state, "failed");
  EXPECT_EQ((*st)[0].chunks[0].attempts, 3);
  EXPECT_FALSE(*sink_->is_landed(c1));
  EXPECT_TRUE(sink_->landed_chunks("job-1")->empty());

  VectorSource source(make_batches("c1", 0, 12, 5));
  auto landed = sink_->land(c1, source, 4, std::nullopt);
  ASSERT_TRUE(landed.ok()) << landed.error().describe();
  EXPECT_FALSE(landed->already_landed);
  const ChunkStatus c = (*sink_->status("job-1"))[0].chunks.at(0);
  EXPECT_EQ(c.state, "landed");
  EXPECT_EQ(c.attempts, 4);
  EXPECT_EQ(c.records, 12u);
  EXPECT_EQ(c.error, "");
  EXPECT_TRUE(*sink_->is_landed(c1));
}

TEST_F(PostgresState, MarkFailedAfterLandedDoesNotDowngrade) {
  const ChunkRef c1{"job-1", "c1", "users"};
  VectorSource source(make_batches("c1", 0, 8, 8));
  ASSERT_TRUE(sink_->land(c1, source, 1, std::nullopt).ok());
  ASSERT_TRUE(sink_->mark_failed(c1, 5, "late failure report").ok());
  const ChunkStatus c = (*sink_->status("job-1"))[0].chunks.at(0);
  EXPECT_EQ(c.state, "landed");
  EXPECT_EQ(c.attempts, 1);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.records, 8u);
  EXPECT_EQ(Reader(url_).count("SELECT count(*) FROM records"), 8);
}

TEST_F(PostgresState, AFailureMessageIsBoundedValidTextAndRedacted) {
  std::string error = "bad \xC3\x28 bytes and a NUL ";
  error.push_back('\0');
  error += std::string(10000, 'e');
  ASSERT_TRUE(sink_->mark_failed({"job-1", "c1", "users"}, 1, error).ok());
  const ChunkStatus c = (*sink_->status("job-1"))[0].chunks.at(0);
  EXPECT_LE(c.error.size(), 4096u);
  EXPECT_EQ(c.error.substr(0, 6), "bad ?(");
}

TEST_F(PostgresState, CommitLandedFirstWriterWinsWithItsChecksumAndCursor) {
  const ChunkRef c1{"job-1", "000001", "conversations"};
  LandResult first;
  first.records = 10;
  first.quarantined = 1;
  first.bytes = 1234;
  first.checksum = std::string(64, 'a');
  auto won = sink_->commit_landed(c1, first, 2, std::string("cursor-2"));
  ASSERT_TRUE(won.ok()) << won.error().describe();
  EXPECT_TRUE(*won);
  LandResult second = first;
  second.records = 99;
  second.checksum = std::string(64, 'b');
  auto lost = sink_->commit_landed(c1, second, 3, std::string("other"));
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(*lost);
  const ChunkStatus c = (*sink_->status("job-1"))[0].chunks.at(0);
  EXPECT_EQ(c.state, "landed");
  EXPECT_EQ(c.records, 10u);
  EXPECT_EQ(c.quarantined, 1u);
  EXPECT_EQ(c.bytes, 1234u);
  EXPECT_EQ(c.attempts, 2);
  EXPECT_EQ(c.checksum, std::string(64, 'a'));
  auto cursors = sink_->landed_chunk_cursors("job-1");
  ASSERT_TRUE(cursors.ok());
  ASSERT_EQ(cursors->size(), 1u);
  EXPECT_EQ((*cursors)[0].next_cursor, std::optional<std::string>("cursor-2"));
  // A failed row is upgraded by a commit.
  ASSERT_TRUE(sink_->mark_failed({"job-1", "000002", "conversations"}, 1, "x").ok());
  EXPECT_TRUE(*sink_->commit_landed({"job-1", "000002", "conversations"}, first, 2, std::string("")));
}

TEST_F(PostgresState, APageRowKeepsTheNextCursorAndABulkChunkNone) {
  VectorSource p1(make_batches("p1", 0, 3, 3)), p2(make_batches("p2", 0, 2, 2)), c(make_batches("c", 0, 1, 1));
  ASSERT_TRUE(sink_->land({"job-1", "000001", "conversations"}, p1, 1, std::string("cursor-2")).ok());
  ASSERT_TRUE(sink_->land({"job-1", "000002", "conversations"}, p2, 1, std::string("")).ok());
  ASSERT_TRUE(sink_->land({"job-1", "chunk-a", "conversations"}, c, 1, std::nullopt).ok());
  auto cursors = sink_->landed_chunk_cursors("job-1");
  ASSERT_TRUE(cursors.ok()) << cursors.error().describe();
  ASSERT_EQ(cursors->size(), 3u);
  EXPECT_EQ((*cursors)[0].chunk_id, "000001");
  EXPECT_EQ((*cursors)[0].next_cursor, std::optional<std::string>("cursor-2"));
  EXPECT_EQ((*cursors)[1].next_cursor, std::optional<std::string>(""));
  EXPECT_EQ((*cursors)[2].chunk_id, "chunk-a");
  EXPECT_EQ((*cursors)[2].next_cursor, std::nullopt);
  EXPECT_EQ(*sink_->landed_chunks("job-1"), (std::vector<std::string>{"000001", "000002", "chunk-a"}));
}

TEST_F(PostgresState, AKeyNamesTheFirstJobRecordedUnderItEvenWhenRacing) {
  EXPECT_FALSE(sink_->find_job_by_key("task-1")->has_value());
  auto first = sink_->record_job_key("task-1", {"job-a", "users", "QUEUED", "", -1, ""});
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(*first, "job-a");
  auto second = sink_->record_job_key("task-1", {"job-b", "users", "QUEUED", "", -1, ""});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, "job-a");
  EXPECT_EQ(**sink_->find_job_by_key("task-1"), "job-a");
  EXPECT_EQ(sink_->record_job_key("bad key", {"job-c", "users", "", "", -1, ""}).error().kind,
            ErrorKind::kInvalidInput);

  // Four submits of one key at once, on four connections: one job id for all.
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto r = sink_->record_job_key("task-2", {"job-t" + std::to_string(t), "users", "QUEUED", "", -1, ""});
      got[static_cast<std::size_t>(t)] = r ? *r : "error: " + r.error().describe();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), 1u) << got[0] << " " << got[1];
  EXPECT_EQ(got[0].rfind("job-t", 0), 0u) << got[0];
}

TEST_F(PostgresState, ApiHealthKeepsTheLastState) {
  auto none = sink_->api_health();
  ASSERT_TRUE(none.ok()) << none.error().describe();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(sink_->record_api_health("open", "5 failures in a row").ok());
  ASSERT_TRUE(sink_->record_api_health("half-open", "cool-down over").ok());
  auto health = sink_->api_health();
  ASSERT_TRUE(health.ok());
  ASSERT_TRUE(health->has_value());
  EXPECT_EQ((*health)->breaker_state, "half-open");
  EXPECT_EQ((*health)->reason, "cool-down over");
  EXPECT_EQ((*health)->updated_at.size(), std::string("2026-01-01T00:00:00.000Z").size());
}

TEST_F(PostgresState, RejectsIdsThatAreNotIds) {
  VectorSource s(make_batches("c1", 0, 1, 1));
  EXPECT_EQ(sink_->land({"job-1", "../c1", "users"}, s, 1, std::nullopt).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(sink_->land({"job 1", "c1", "users"}, s, 1, std::nullopt).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(sink_->mark_failed({"job-1", "", "users"}, 1, "x").error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(sink_->upsert_job({"job'1", "users", "", "", -1, ""}).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(s.calls(), 0);
}

// Schema: versioned, migrated once under concurrent openers, refusing what is not ours.
TEST_F(PostgresState, ConcurrentOpenersMigrateOnceAndReopeningKeepsData) {
  const std::string url = pgtest::fresh_database();
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      PostgresSettings s;
      s.url = url;
      auto sink = PostgresSink::open(s);
      if (!sink) ++failed;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  Reader r(url);
  EXPECT_EQ(r.rows("SELECT version FROM schema_migrations"), (std::vector<std::vector<std::string>>{{"1"}}));
  EXPECT_EQ(r.one("SELECT data_type FROM information_schema.columns WHERE table_name = 'records' AND "
                  "column_name = 'payload'"),
            "jsonb");
  // lz4 TOAST compression for payloads (ADR 0011): Debian's server has it.
  EXPECT_EQ(r.one("SELECT attcompression FROM pg_attribute WHERE attrelid = 'records'::regclass AND "
                  "attname = 'payload'"),
            "l");
  EXPECT_EQ(r.one("SELECT data_type FROM information_schema.columns WHERE table_name = 'quarantine' AND "
                  "column_name = 'raw'"),
            "bytea");
}

TEST_F(PostgresState, RefusesADatabaseThatIsNotOursOrNewer) {
  const std::string foreign = pgtest::fresh_database();
  pgtest::server().psql("CREATE TABLE jobs (x int)", foreign.substr(foreign.rfind('/') + 1));
  PostgresSettings s;
  s.url = foreign;
  auto opened = PostgresSink::open(s);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(opened.error().message.find("not a genesys-bulk database"), std::string::npos);

  pgtest::server().psql("INSERT INTO schema_migrations (version) VALUES (99)", url_.substr(url_.rfind('/') + 1));
  s.url = url_;
  opened = PostgresSink::open(s);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(opened.error().message.find("newer"), std::string::npos) << opened.error().message;
}

TEST_F(PostgresState, AnUnreachableServerIsTransientAndTheUrlIsRedacted) {
  PostgresSettings s;
  s.url = "postgresql://gb:s3cret-pw@127.0.0.1:" + std::to_string(fixtures::free_port()) + "/x?connect_timeout=2";
  auto opened = PostgresSink::open(s);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, ErrorKind::kTransient) << opened.error().describe();
  EXPECT_EQ(opened.error().message.find("s3cret-pw"), std::string::npos) << opened.error().message;
  EXPECT_NE(opened.error().message.find("gb:***@127.0.0.1"), std::string::npos) << opened.error().message;
  EXPECT_EQ(opened.error().message.find('\n'), std::string::npos) << opened.error().message;  // one line

  s.url = pgtest::server().url("no_such_database");
  opened = PostgresSink::open(s);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, ErrorKind::kInvalidInput) << opened.error().describe();
}

}  // namespace
}  // namespace gb::sinks
