// A stop requested in the middle of an export (what Ctrl-C does): whole
// chunks only, a one-line summary, and the next run lands exactly the rest.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "export_harness.hpp"
#include "ledger_check.hpp"

namespace gb::testing {
namespace {

using ::testing::HasSubstr;

// Requests the stop when the n-th chunk or page has landed: the moment is
// chosen by state, not by time.
class StopAfterLanding final : public pipeline::ProgressObserver {
 public:
  StopAfterLanding(StopSignal& stop, int n) : stop_(stop), n_(n) {}
  void job_started(const std::string&, const std::string&) override {}
  void job_state(const std::string&) override {}
  void chunks_known(std::uint64_t, std::uint64_t) override {}
  void chunk_landed(std::uint64_t, std::uint64_t, std::uint64_t) override {
    if (++landed_ == n_) stop_.request();
  }
  void chunk_failed() override {}
  void job_finished(bool) override {}

 private:
  StopSignal& stop_;
  int n_;
  std::atomic<int> landed_{0};
};

struct Case {
  std::string type;
  std::uint64_t records;
  std::uint64_t chunk_records;  // the simulator's chunk size, or the page size
  std::uint64_t chunks;
  const char* unit;
};

void stop_then_resume(const Case& c) {
  auto sim = quick_simulator();
  sim.jobs = {{c.type, c.records, c.chunk_records}};
  ExportHarness h(sim);
  h.pipeline_settings().concurrency = 2;
  h.pipeline_settings().page_size = static_cast<int>(c.chunk_records);
  const std::string job = h.job(0);

  StopSignal stop;
  h.pipeline_settings().stop = &stop;
  StopAfterLanding stopper(stop, 3);
  auto first = h.run(c.type, job, "{}", &stopper);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().kind, ErrorKind::kInterrupted) << first.error().describe();
  const LedgerCheck after_stop = check_ledger(h.db_path());
  EXPECT_EQ(after_stop.mismatched, 0);
  EXPECT_GE(after_stop.landed_chunks, 3);
  EXPECT_LT(after_stop.landed_chunks, static_cast<int>(c.chunks));
  EXPECT_EQ(first.error().message, fmt::format("{} {} landed in this run; run the same command again to resume",
                                               after_stop.landed_chunks, c.unit));
  const auto partial = h.check(job);
  EXPECT_EQ(partial.landed + partial.quarantined,
            static_cast<std::uint64_t>(after_stop.landed_chunks) * c.chunk_records);  // whole chunks only
  EXPECT_EQ(partial.duplicates, 0u);

  StopSignal no_stop;
  h.pipeline_settings().stop = &no_stop;
  auto second = h.run(c.type, job);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(second->chunks_skipped, static_cast<std::uint64_t>(after_stop.landed_chunks));
  EXPECT_EQ(second->chunks_landed, c.chunks - static_cast<std::uint64_t>(after_stop.landed_chunks));
  const auto full = h.check(job);
  EXPECT_TRUE(full.exact()) << full.summary();
  EXPECT_EQ(full.duplicates, 0u);
  EXPECT_EQ(full.landed + full.quarantined, c.records);
  EXPECT_EQ(check_ledger(h.db_path()).mismatched, 0);
}

TEST(InterruptTest, AStoppedBulkExportLandsWholeChunksOnlyAndTheNextRunLandsExactlyTheRest) {
  stop_then_resume({"bulk:interactions", 20000, 1000, 20, "chunks"});
}

TEST(InterruptTest, AStoppedPagedExportLandsWholePagesOnlyAndTheNextRunLandsExactlyTheRest) {
  stop_then_resume({"users", 3000, 250, 12, "pages"});
}

}  // namespace
}  // namespace gb::testing
