// The pipeline's small parts: the writer's queue, the spill file, where a
// chunk waits before landing, the export's query hash.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "pipeline/detail/bounded_queue.hpp"
#include "pipeline/detail/chunk_collector.hpp"
#include "pipeline/detail/spill_file.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/progress.hpp"
#include "testing/fake_clock.hpp"

namespace gb::pipeline {
namespace {

using ::testing::HasSubstr;

records::RecordBatch make_batch(std::uint64_t first, int n, std::size_t raw_size) {
  records::RecordBatch b;
  for (int i = 0; i < n; ++i) {
    const std::uint64_t ordinal = first + static_cast<std::uint64_t>(i);
    std::string raw(raw_size, 'x');
    raw[0] = static_cast<char>(0xff);  // bytes kept as they are, even invalid UTF-8
    if (ordinal % 7 == 3) {
      b.quarantined.push_back({ordinal, "malformed JSON: test", raw});
    } else {
      b.records.push_back({ordinal, "key-" + std::to_string(ordinal), raw});
    }
    b.raw_bytes += raw.size();
  }
  return b;
}

// Everything a source yields, as "R:ordinal:key:size" / "Q:ordinal:reason:size".
// `b` is the sink's batch, into which the source lends its own.
std::vector<std::string> drain(sinks::BatchSource& source, records::RecordBatch& b) {
  std::vector<std::string> out;
  for (;;) {
    auto more = source.next(b);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    for (const auto& r : b.records) out.push_back(fmt::format("R:{}:{}:{}", r.ordinal, r.key, r.raw.size()));
    for (const auto& q : b.quarantined) out.push_back(fmt::format("Q:{}:{}:{}", q.ordinal, q.reason, q.raw.size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> drain(sinks::BatchSource& source) {
  records::RecordBatch b;
  return drain(source, b);
}

TEST(BoundedQueueTest, DeliversEverythingOnceAndDrainsAfterClose) {
  detail::BoundedQueue<int> q(2);
  std::vector<int> got;
  std::thread consumer([&] {
    while (auto v = q.pop()) got.push_back(*v);
  });
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.push(i));
  q.close();
  consumer.join();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i);
  EXPECT_FALSE(q.push(1));
}

TEST(SpillFileTest, RoundTripsRecordsAndQuarantinedBytesExactly) {
  auto file = detail::SpillFile::create(std::filesystem::temp_directory_path());
  ASSERT_TRUE(file.ok());
  auto b1 = make_batch(0, 10, 100);
  auto b2 = make_batch(10, 10, 5000);
  ASSERT_TRUE((*file)->append(b1).ok());
  ASSERT_TRUE((*file)->append(b2).ok());
  ASSERT_TRUE((*file)->finish_writing().ok());
  records::RecordBatch out;
  std::vector<records::RecordBatch> batches;
  for (;;) {
    auto more = (*file)->read_batch(out, 8000);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    EXPECT_LE(out.raw_bytes, 8000u + 5000u);  // bounded: one element past the limit at most
    batches.push_back(out);
  }
  EXPECT_GE(batches.size(), 3u);
  std::size_t n = 0;
  for (const auto& b : batches) {
    for (const auto& r : b.records) {
      EXPECT_EQ(r.key, "key-" + std::to_string(r.ordinal));
      EXPECT_EQ(static_cast<unsigned char>(r.raw[0]), 0xffu);
      ++n;
    }
    n += b.quarantined.size();
  }
  EXPECT_EQ(n, 20u);
}

TEST(ChunkCollectorTest, SmallChunksStayInMemory) {
  detail::ChunkCollector c(std::filesystem::temp_directory_path(), 1 << 20, 0, 1 << 16);
  auto b = make_batch(0, 50, 100);
  ASSERT_TRUE(c.add(b).ok());
  EXPECT_FALSE(c.stats().spilled);
  EXPECT_EQ(c.stats().records + c.stats().quarantined, 50u);
  auto source = c.take_source();
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(drain(**source).size(), 50u);
}

TEST(ChunkCollectorTest, AChunkGrowingPastTheThresholdMovesToASpillFileWithNothingLost) {
  detail::ChunkCollector memory_only(std::filesystem::temp_directory_path(), 1 << 30, 0, 1 << 16);
  detail::ChunkCollector spilling(std::filesystem::temp_directory_path(), 20'000, 0, 4096);
  for (int i = 0; i < 10; ++i) {
    auto a = make_batch(static_cast<std::uint64_t>(i) * 20, 20, 300);
    auto b = a;
    ASSERT_TRUE(memory_only.add(a).ok());
    ASSERT_TRUE(spilling.add(b).ok());
  }
  EXPECT_FALSE(memory_only.stats().spilled);
  EXPECT_TRUE(spilling.stats().spilled);
  auto expected = memory_only.take_source();
  auto actual = spilling.take_source();
  ASSERT_TRUE(expected.ok() && actual.ok());
  const auto want = drain(**expected);
  EXPECT_EQ(want.size(), 200u);
  EXPECT_EQ(drain(**actual), want);
}

TEST(ChunkCollectorTest, AChunkAnnouncedAboveTheThresholdSpillsFromTheStart) {
  detail::ChunkCollector c(std::filesystem::temp_directory_path(), 1000, 5000, 4096);
  auto b = make_batch(0, 1, 10);
  ASSERT_TRUE(c.add(b).ok());
  EXPECT_TRUE(c.stats().spilled);
}

// A store that judges records itself lands a chunk again from the start
// when it refuses one (sinks::BatchSource::rewind): only from memory.
TEST(ChunkCollectorTest, AChunkHeldInMemoryRewindsWhenAskedTo) {
  detail::ChunkCollector c(std::filesystem::temp_directory_path(), 1 << 20, 0, 1 << 16);
  for (int i = 0; i < 3; ++i) {
    auto b = make_batch(static_cast<std::uint64_t>(i) * 20, 20, 100);
    ASSERT_TRUE(c.add(b).ok());
  }
  auto source = c.take_source(/*rewindable=*/true);
  ASSERT_TRUE(source.ok());
  records::RecordBatch lent;
  const auto all = drain(**source, lent);
  EXPECT_EQ(all.size(), 60u);
  ASSERT_TRUE((*source)->rewind(lent));
  EXPECT_EQ(drain(**source, lent), all);
  // Rewound in the middle: the batch in the sink's hands goes back too.
  ASSERT_TRUE((*source)->next(lent).ok());
  ASSERT_TRUE((*source)->next(lent).ok());
  ASSERT_TRUE((*source)->rewind(lent));
  EXPECT_TRUE(lent.empty());
  EXPECT_EQ(drain(**source, lent), all);

  detail::ChunkCollector once(std::filesystem::temp_directory_path(), 1 << 20, 0, 1 << 16);
  auto b = make_batch(0, 5, 10);
  ASSERT_TRUE(once.add(b).ok());
  auto read_once = once.take_source();
  ASSERT_TRUE(read_once.ok());
  EXPECT_FALSE((*read_once)->rewind(lent));

  detail::ChunkCollector spilled(std::filesystem::temp_directory_path(), 1000, 5000, 4096);
  auto s = make_batch(0, 5, 10);
  ASSERT_TRUE(spilled.add(s).ok());
  auto from_file = spilled.take_source(/*rewindable=*/true);
  ASSERT_TRUE(from_file.ok());
  EXPECT_FALSE((*from_file)->rewind(lent));
}

TEST(QueryHashTest, TheSameQuerySpelledDifferentlyIsTheSameExport) {
  auto users = api::ExportType::parse("bulk:users");
  auto conv = api::ExportType::parse("conversations");
  ASSERT_TRUE(users.ok() && conv.ok());
  EXPECT_EQ(query_hash(*users, R"({"a":1,"b":[1,2]})"), query_hash(*users, "{ \"b\": [1, 2],\n \"a\": 1 }"));
  EXPECT_NE(query_hash(*users, R"({"a":1})"), query_hash(*users, R"({"a":2})"));
  EXPECT_NE(query_hash(*users, R"({"a":1})"), query_hash(*conv, R"({"a":1})"));
  EXPECT_EQ(query_hash(*users, "{}").size(), 32u);
}

TEST(FinalStateTest, OnlyStatesThatProduceNoMoreDataAreFinal) {
  for (const char* s : {"landed", "failed", "cancelled", "FAILED", "CANCELLED", "EXPIRED"}) {
    EXPECT_TRUE(is_final_job_state(s)) << s;
  }
  for (const char* s : {"created", "adopted", "queued", "processing", "completed", "QUEUED", "FULFILLED"}) {
    EXPECT_FALSE(is_final_job_state(s)) << s;
  }
}

}  // namespace
}  // namespace gb::pipeline
