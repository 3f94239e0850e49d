// The worker's entry point, ExportPipeline::run_slice, end to end: the real
// HTTP stack against the in-process simulator, a real SQLite file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "export_harness.hpp"

namespace gb::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Runs slices as a worker would (a continuation after kJobRunning's delay or
// kMoreToLand, a broker-held retry after a transient error) until the job
// has landed; counts what it saw.
struct Driven {
  Result<pipeline::SliceOutcome> last = internal_error("no slice ran");
  int slices = 0;
  int transient_errors = 0;
};

Driven drive(ExportHarness& h, const std::string& type, const std::string& job_id,
             const std::optional<std::string>& key, Duration budget = seconds(30)) {
  Driven d;
  for (d.slices = 1; d.slices <= 200; ++d.slices) {
    d.last = h.run_slice(type, job_id, key, budget);
    if (!d.last.ok()) {
      if (!d.last.error().transient()) return d;
      ++d.transient_errors;
      std::this_thread::sleep_for(
          std::min<milliseconds>(d.last.error().retry_after.value_or(milliseconds(50)), milliseconds(1500)));
      continue;
    }
    if (d.last->kind == pipeline::SliceKind::kFinished) return d;
    if (d.last->kind == pipeline::SliceKind::kJobRunning) std::this_thread::sleep_for(d.last->next_poll);
  }
  return d;
}

TEST(SliceIntegration, ASubmitRunAsSlicesLandsTheExactSetWithOneCreate) {
  auto sim = quick_simulator();
  sim.records_per_job = 6000;
  sim.chunk_records = 1000;
  ExportHarness h(sim);
  auto d = drive(h, "bulk:users", "", std::string("5f0c6f2e-task-1"));
  ASSERT_TRUE(d.last.ok()) << d.last.error().describe();
  ASSERT_EQ(d.last->kind, pipeline::SliceKind::kFinished);
  const std::string job = d.last->outcome.job_id;
  EXPECT_GE(d.slices, 2);  // the job was still running at the first poll
  ASSERT_EQ(h.server().jobs().size(), 1u);
  const auto check = h.check(job);
  EXPECT_TRUE(check.exact()) << check.summary();
  EXPECT_EQ(check.landed, 6000u);

  // The same submit delivered again after it finished: no second job.
  auto again = h.run_slice("bulk:users", "", std::string("5f0c6f2e-task-1"), seconds(30));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->kind, pipeline::SliceKind::kFinished);
  EXPECT_EQ(again->outcome.job_id, job);
  EXPECT_EQ(again->outcome.chunks_landed, 0u);
  EXPECT_EQ(h.server().jobs().size(), 1u);
}

TEST(SliceIntegration, WithFaultsOnSlicesAndBrokerHeldRetriesLandTheExactSet) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:interactions", 8000, 1000}};
  sim.faults.server_error = {0.1, 0};
  sim.faults.reset_mid_body = {0.1, 0};
  sim.faults.too_many_requests = {0.05, 0};
  sim.faults.retry_after_seconds = 1;
  ExportHarness h(sim);
  h.pipeline_settings().retry.max_attempts = 2;  // let some failures reach the "broker"
  auto d = drive(h, "bulk:interactions", h.job(0), std::nullopt);
  ASSERT_TRUE(d.last.ok()) << d.last.error().describe();
  EXPECT_EQ(d.last->kind, pipeline::SliceKind::kFinished);
  const auto check = h.check(h.job(0));
  EXPECT_TRUE(check.exact()) << check.summary();
  EXPECT_EQ(check.landed, 8000u);
}

TEST(SliceIntegration, CursorPagesLandThroughSlicesWithoutFetchingALandedPageAgain) {
  auto sim = quick_simulator();
  sim.jobs = {{"conversations", 1000, 100}};
  ExportHarness h(sim);
  h.pipeline_settings().page_size = 100;
  auto d = drive(h, "conversations", h.job(0), std::nullopt);
  ASSERT_TRUE(d.last.ok()) << d.last.error().describe();
  EXPECT_EQ(d.last->kind, pipeline::SliceKind::kFinished);
  EXPECT_EQ(d.last->outcome.chunks_landed + d.last->outcome.chunks_skipped, 10u);
  const auto check = h.check(h.job(0));
  EXPECT_TRUE(check.exact()) << check.summary();
}

TEST(SliceIntegration, ACancelStopsARequestWaitingOnASlowServerWithinAboutASecond) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 1000, 1000}};
  sim.faults.slow = {0.0, 5};
  sim.faults.slow_delay = milliseconds(4'000);  // the server's thread sleeps it out either way
  ExportHarness h(sim);
  StopSignal soft_limit;
  std::thread limiter([&] {
    std::this_thread::sleep_for(milliseconds(300));
    soft_limit.request();
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = h.run_slice("bulk:users", h.job(0), std::nullopt, seconds(60), &soft_limit);
  const auto took = std::chrono::steady_clock::now() - start;
  limiter.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInterrupted) << r.error().describe();
  EXPECT_LT(took, seconds(3));
  EXPECT_FALSE(process_stop().requested());
}

}  // namespace
}  // namespace gb::testing
