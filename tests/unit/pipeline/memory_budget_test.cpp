// The memory budget, and where a chunk waits under it: in memory while the
// budget has room, in its spill file when it has none, and a record too
// large to hold written to the spill file as it arrives.
#include "pipeline/memory_budget.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include "pipeline/detail/chunk_collector.hpp"
#include "pipeline/detail/spill_file.hpp"

namespace gb::pipeline {
namespace {

records::RecordBatch batch_of(std::uint64_t first, int n, std::size_t raw_size) {
  records::RecordBatch b;
  for (int i = 0; i < n; ++i) {
    const std::uint64_t ordinal = first + static_cast<std::uint64_t>(i);
    b.records.push_back({ordinal, "key-" + std::to_string(ordinal), std::string(raw_size, 'r')});
    b.raw_bytes += raw_size;
  }
  return b;
}

// Every ordinal a source yields, in order, and the bytes of large entries.
std::vector<std::uint64_t> ordinals(sinks::BatchSource& source, std::string* large_bytes = nullptr) {
  std::vector<std::uint64_t> out;
  records::RecordBatch b;
  for (;;) {
    auto more = source.next(b);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    for (const auto& r : b.records) out.push_back(r.ordinal);
    for (const auto& q : b.quarantined) {
      out.push_back(q.ordinal);
      if (q.large && large_bytes != nullptr) {
        std::string piece(1000, '\0');
        for (std::uint64_t at = 0; at < q.large->size();) {
          auto got = q.large->read(at, piece.data(), piece.size());
          EXPECT_TRUE(got.ok());
          if (!got.ok()) break;
          large_bytes->append(piece.data(), *got);
          at += *got;
        }
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(MemoryBudgetTest, ReservationsAreBoundedByTheLimitAndGivenBackOnDestruction) {
  MemoryBudget budget(1000);
  {
    Reservation a(budget);
    EXPECT_TRUE(a.grow_or_wait(600));  // nothing settled: never waits
    Reservation b(budget);
    EXPECT_FALSE(b.grow_or_wait(401));
    EXPECT_TRUE(b.grow_or_wait(400));
    EXPECT_EQ(budget.used(), 1000u);
    a.shrink(100);
    EXPECT_EQ(budget.used(), 900u);
    Reservation moved = std::move(b);
    EXPECT_EQ(moved.bytes(), 400u);
    EXPECT_EQ(budget.used(), 900u);  // moved, not given back twice
  }
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_EQ(budget.high_water(), 1000u);
  EXPECT_TRUE(budget.try_reserve(1000));
  EXPECT_FALSE(budget.try_reserve(1));
}

TEST(MemoryBudgetTest, AHolderWaitsForSettledBytesInsteadOfSpilling) {
  MemoryBudget budget(1000);
  Reservation settled(budget);
  ASSERT_TRUE(settled.grow_or_wait(800));
  settled.settle();  // a complete chunk: the writer will give it back
  Reservation waiting(budget);
  std::thread writer([&] { settled.reset(); });
  EXPECT_TRUE(waiting.grow_or_wait(500));  // waits (or not) until the writer released
  writer.join();
  EXPECT_EQ(budget.used(), 500u);
  EXPECT_LE(budget.high_water(), 1000u);
}

TEST(MemoryBudgetTest, TheOldestWaiterIsServedFirstEvenWhenAYoungerOneWouldFit) {
  MemoryBudget budget(1000);
  Reservation landing(budget);
  ASSERT_TRUE(landing.grow_or_wait(800));
  landing.settle();
  Reservation older(budget);
  Reservation younger(budget);
  std::thread a([&] { EXPECT_TRUE(older.grow_or_wait(500)); });
  while (budget.waiters() < 1) std::this_thread::yield();
  std::thread b([&] { EXPECT_TRUE(younger.grow_or_wait(100)); });  // 200 free, but the older one is first
  while (budget.waiters() < 2) std::this_thread::yield();
  landing.shrink(300);  // room for the older one only
  a.join();
  EXPECT_EQ(older.bytes(), 500u);
  EXPECT_EQ(younger.bytes(), 0u);  // still waiting: the budget is full
  landing.reset();                 // the chunk has landed
  b.join();
  EXPECT_EQ(younger.bytes(), 100u);
  EXPECT_LE(budget.high_water(), 1000u);
}

TEST(MemoryBudgetTest, AChunkIsAdmittedWholeOnceAdmittedChunksHaveLandedAndNeverWhenWaitingCannotHelp) {
  MemoryBudget budget(1000);
  Reservation writer(budget);
  writer.grow_waiting(100);  // stays for the whole run
  Reservation first(budget);
  ASSERT_TRUE(first.admit(600));  // fits at once
  Reservation second(budget);
  std::thread download([&] { EXPECT_TRUE(second.admit(500)); });
  while (budget.waiters() < 1) std::this_thread::yield();
  first.settle();  // downloaded: still in memory until the writer lands it
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(second.bytes(), 0u);  // 300 free: it waits for the landing
  first.shrink(300);              // the writer has landed half of it
  download.join();
  EXPECT_EQ(second.bytes(), 500u);
  EXPECT_LE(budget.high_water(), 1000u);

  // 901 bytes could not fit even once every admitted byte came back (the
  // writer's 100 stay): no waiting, the caller grows its chunk as it comes.
  Reservation too_big(budget);
  EXPECT_FALSE(too_big.admit(901));
  EXPECT_EQ(too_big.bytes(), 0u);
  first.reset();
  second.reset();
  // Nothing admitted or settled to wait for: a chunk that does not fit is
  // refused at once too.
  Reservation open(budget);
  ASSERT_TRUE(open.grow_or_wait(500));
  Reservation refused(budget);
  EXPECT_FALSE(refused.admit(401));
  EXPECT_TRUE(refused.admit(400));
}

TEST(MemoryBudgetTest, AWorkingReservationAboveTheLimitTakesTheWholeLimit) {
  MemoryBudget budget(1000);
  Reservation working(budget);
  working.grow_waiting(5000);
  EXPECT_EQ(working.bytes(), 1000u);
}

TEST(ChunkCollectorBudgetTest, HeldBatchesAreChargedAndTheChunkSpillsWhenTheBudgetIsFull) {
  MemoryBudget budget(std::uint64_t{64} * 1024);
  detail::ChunkCollector fits(std::filesystem::temp_directory_path(), 1ull << 30, 0, 4096, Reservation(budget));
  auto small = batch_of(0, 10, 100);
  ASSERT_TRUE(fits.add(small).ok());
  EXPECT_FALSE(fits.stats().spilled);
  EXPECT_GT(budget.used(), 1000u);

  // A second chunk outgrows what is left; nothing is settled, so it spills.
  detail::ChunkCollector grows(std::filesystem::temp_directory_path(), 1ull << 30, 0, 4096, Reservation(budget));
  for (int i = 0; i < 20; ++i) {
    auto b = batch_of(static_cast<std::uint64_t>(i) * 10, 10, 1000);
    ASSERT_TRUE(grows.add(b).ok());
  }
  EXPECT_TRUE(grows.stats().spilled);
  EXPECT_LE(budget.high_water(), budget.limit());
  auto spilled = grows.take_source();
  ASSERT_TRUE(spilled.ok());
  std::vector<std::uint64_t> want(200);
  for (std::uint64_t i = 0; i < 200; ++i) want[i] = i;
  EXPECT_EQ(ordinals(**spilled), want);

  // The chunk held in memory gives its bytes back as it is landed.
  const std::uint64_t before = budget.used();
  auto held = fits.take_source();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(ordinals(**held).size(), 10u);
  EXPECT_LT(budget.used(), before);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(ChunkCollectorBudgetTest, AnAdmittedChunkIsChargedToItsAdmissionAndGivesBackWhatItDidNotUse) {
  MemoryBudget budget(std::uint64_t{64} * 1024);
  Reservation admitted(budget);
  ASSERT_TRUE(admitted.admit(40'000));
  detail::ChunkCollector c(std::filesystem::temp_directory_path(), 1ull << 30, 0, 4096, std::move(admitted));
  std::uint64_t cost = 0;
  for (int i = 0; i < 3; ++i) {
    auto b = batch_of(static_cast<std::uint64_t>(i) * 10, 10, 1000);
    cost += detail::batch_cost(b);
    ASSERT_TRUE(c.add(b).ok());
  }
  EXPECT_EQ(budget.used(), 40'000u);  // within the admission: nothing more taken
  auto more = batch_of(30, 10, 1000);
  cost += detail::batch_cost(more);
  ASSERT_TRUE(c.add(more).ok());
  EXPECT_EQ(budget.used(), cost);  // past it: grown by the difference
  EXPECT_FALSE(c.stats().spilled);

  Reservation small(budget);
  ASSERT_TRUE(small.admit(10'000));  // fits beside the first chunk: no waiting
  detail::ChunkCollector d(std::filesystem::temp_directory_path(), 1ull << 30, 0, 4096, std::move(small));
  auto one = batch_of(0, 5, 100);
  ASSERT_TRUE(d.add(one).ok());
  auto source = d.take_source();
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(budget.used(), cost + detail::batch_cost(batch_of(0, 5, 100)));  // the rest went back
  EXPECT_EQ(ordinals(**source).size(), 5u);
}

TEST(ChunkCollectorBudgetTest, ARecordTooLargeToHoldGoesToTheSpillFileWholeBetweenTheOthers) {
  MemoryBudget budget(1 << 20);
  detail::ChunkCollector c(std::filesystem::temp_directory_path(), 1ull << 30, 0, 4096, Reservation(budget));
  auto before = batch_of(0, 3, 50);
  ASSERT_TRUE(c.add(before).ok());
  std::string big;
  ASSERT_TRUE(c.begin_large(3, "record larger than the maximum record size of 10 bytes").ok());
  for (int piece = 0; piece < 50; ++piece) {
    const std::string bytes(777, static_cast<char>('a' + piece % 26));
    big += bytes;
    ASSERT_TRUE(c.add_large(bytes).ok());
  }
  ASSERT_TRUE(c.end_large().ok());
  auto after = batch_of(4, 3, 50);
  ASSERT_TRUE(c.add(after).ok());
  EXPECT_TRUE(c.stats().spilled);
  EXPECT_EQ(c.stats().quarantined, 1u);
  auto source = c.take_source();
  ASSERT_TRUE(source.ok());
  std::string read_back;
  EXPECT_EQ(ordinals(**source, &read_back), (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(read_back, big);
}

// What a child process that spills under a file size limit exits with: 42
// when adding or finishing failed with the spill file's error, 43 when
// something else failed, 44 when nothing did.
int spill_past_a_full_disk() {
  std::signal(SIGXFSZ, SIG_IGN);  // writes past the limit fail with EFBIG instead
  constexpr rlim_t kLimit = rlim_t{256} * 1024;
  const rlimit limit{kLimit, kLimit};
  if (setrlimit(RLIMIT_FSIZE, &limit) != 0) return 45;
  detail::ChunkCollector c(std::filesystem::temp_directory_path(), 1, 0, 4096);
  for (int i = 0; i < 100; ++i) {
    auto b = batch_of(static_cast<std::uint64_t>(i) * 10, 10, 1000);
    if (auto s = c.add(b); !s.ok()) return s.error().message.find("spill file") != std::string::npos ? 42 : 43;
  }
  auto source = c.take_source();
  if (!source.ok()) return source.error().message.find("spill file") != std::string::npos ? 42 : 43;
  return 44;
}

TEST(SpillFileTest, ADiskThatFillsWhileSpillingIsAnErrorOfTheChunkNotACrash) {
  // A child with RLIMIT_FSIZE stands in for a disk that fills: writes past
  // 256 KiB fail with EFBIG, as they would with ENOSPC.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(spill_past_a_full_disk());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42);
}

}  // namespace
}  // namespace gb::pipeline
