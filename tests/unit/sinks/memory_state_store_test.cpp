// The in-memory StateStore used by the object landings' tests keeps the
// interface's contract, or those tests would prove nothing.
#include "testing/memory_state_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace gb::fixtures {
namespace {

sinks::ChunkRef chunk(const std::string& id) {
  return sinks::ChunkRef{"job-1", id, "conversations"};
}

sinks::LandResult landed(std::uint64_t records, const std::string& checksum) {
  sinks::LandResult r;
  r.records = records;
  r.bytes = records * 10;
  r.checksum = checksum;
  return r;
}

TEST(MemoryStateStore, CommitLandedFirstWriterWins) {
  MemoryStateStore store;
  EXPECT_FALSE(*store.is_landed(chunk("c1")));
  EXPECT_TRUE(*store.commit_landed(chunk("c1"), landed(3, "aa"), 1, std::nullopt));
  EXPECT_FALSE(*store.commit_landed(chunk("c1"), landed(9, "bb"), 2, std::nullopt));
  EXPECT_TRUE(*store.is_landed(chunk("c1")));
  auto all = store.status("job-1");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1U);
  ASSERT_EQ((*all)[0].chunks.size(), 1U);
  const auto& row = (*all)[0].chunks[0];
  EXPECT_EQ(row.state, "landed");
  EXPECT_EQ(row.records, 3U);
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.checksum, "aa");
  EXPECT_EQ((*all)[0].job.type, "conversations");
}

TEST(MemoryStateStore, MarkFailedNeverDowngradesLanded) {
  MemoryStateStore store;
  ASSERT_TRUE(store.mark_failed(chunk("c2"), 1, "boom").ok());
  EXPECT_FALSE(*store.is_landed(chunk("c2")));
  ASSERT_TRUE(*store.commit_landed(chunk("c2"), landed(1, "x"), 2, std::nullopt));
  ASSERT_TRUE(store.mark_failed(chunk("c2"), 3, "late").ok());
  EXPECT_TRUE(*store.is_landed(chunk("c2")));
  auto all = store.status(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[0].chunks[0].state, "landed");
  EXPECT_EQ((*all)[0].chunks[0].error, "");
}

TEST(MemoryStateStore, LandedChunksAndCursorsOrderedById) {
  MemoryStateStore store;
  ASSERT_TRUE(*store.commit_landed(chunk("000002"), landed(1, ""), 1, std::string("")));
  ASSERT_TRUE(*store.commit_landed(chunk("000001"), landed(1, ""), 1, std::string("next-2")));
  ASSERT_TRUE(store.mark_failed(chunk("000003"), 1, "x").ok());
  auto ids = store.landed_chunks("job-1");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<std::string>{"000001", "000002"}));
  auto cursors = store.landed_chunk_cursors("job-1");
  ASSERT_TRUE(cursors.ok());
  ASSERT_EQ(cursors->size(), 2U);
  EXPECT_EQ((*cursors)[0].next_cursor, std::optional<std::string>("next-2"));
  EXPECT_EQ((*cursors)[1].next_cursor, std::optional<std::string>(""));
  EXPECT_TRUE(store.landed_chunks("other")->empty());
}

TEST(MemoryStateStore, JobKeysFirstWriterWinsAndUnfinishedJobs) {
  MemoryStateStore store;
  sinks::JobInfo a{"job-a", "users", "RUNNING", "", -1, "h1"};
  sinks::JobInfo b{"job-b", "users", "RUNNING", "", -1, "h1"};
  EXPECT_EQ(*store.record_job_key("task-1", a), "job-a");
  EXPECT_EQ(*store.record_job_key("task-1", b), "job-a");
  EXPECT_EQ(*store.find_job_by_key("task-1"), std::optional<std::string>("job-a"));
  EXPECT_FALSE(store.find_job_by_key("bad key").ok());
  auto found = store.find_unfinished_job("users", "h1", {"FULFILLED"});
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->job_id, "job-b");  // updated last
  b.state = "FULFILLED";
  ASSERT_TRUE(store.upsert_job(b).ok());
  EXPECT_EQ((*store.find_unfinished_job("users", "h1", {"FULFILLED"}))->job_id, "job-a");
  auto all = store.status(std::nullopt);
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].job.job_id, "job-a");  // created first
}

TEST(MemoryStateStore, ConcurrentCommitsOfOneChunkLandOnce) {
  MemoryStateStore store;
  std::vector<std::thread> threads;
  std::atomic<int> won{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      if (*store.commit_landed(chunk("c"), landed(1, ""), 1, std::nullopt)) ++won;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(store.commits(), 1);
}

}  // namespace
}  // namespace gb::fixtures
