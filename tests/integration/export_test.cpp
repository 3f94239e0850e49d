// The export pipeline end to end against the in-process simulator and a real
// SQLite file: exact sets of keys, nothing duplicated or lost.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include "base/hash.hpp"
#include "export_harness.hpp"
#include "simulator/data.hpp"

namespace gb::testing {
namespace {

using ::testing::HasSubstr;

std::set<std::string> quarantine_reasons(const std::string& db_path) {
  std::set<std::string> reasons;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT reason FROM quarantine", -1, &stmt, nullptr);
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      std::string reason = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      reasons.insert(reason.substr(0, reason.find(':')));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return reasons;
}

const sinks::JobStatus* find_job(const std::vector<sinks::JobStatus>& all, const std::string& job_id) {
  for (const auto& j : all) {
    if (j.job.job_id == job_id) return &j;
  }
  return nullptr;
}

TEST(ExportTest, BulkChunksListedOutOfOrderLandExactlyOnce) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 12000, 1000}};
  sim.faults.chunks_out_of_order = true;
  ExportHarness h(sim);
  auto outcome = h.run("bulk:users", h.job(0));
  ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
  EXPECT_EQ(outcome->chunks_total, 12u);
  EXPECT_EQ(outcome->chunks_landed, 12u);
  EXPECT_EQ(outcome->records, 12000u);
  const auto check = h.check(h.job(0));
  EXPECT_TRUE(check.exact()) << check.summary();
  EXPECT_EQ(check.landed, 12000u);
  EXPECT_EQ(check.landed_checksum, check.expected_checksum);
}

TEST(ExportTest, SecondRunOfTheSameJobChangesNothing) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:interactions", 6000, 1000}};
  ExportHarness h(sim);
  ASSERT_TRUE(h.run("bulk:interactions", h.job(0)).ok());
  const auto before = h.status();
  auto again = h.run("bulk:interactions", h.job(0));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->chunks_landed, 0u);
  EXPECT_EQ(again->chunks_skipped, 6u);
  EXPECT_EQ(again->records, 0u);
  const auto check = h.check(h.job(0));
  EXPECT_TRUE(check.exact()) << check.summary();
  EXPECT_EQ(check.landed, 6000u);
  const auto after = h.status();
  ASSERT_EQ(after.size(), before.size());
  ASSERT_EQ(after[0].chunks.size(), before[0].chunks.size());
  for (std::size_t i = 0; i < after[0].chunks.size(); ++i) {
    EXPECT_EQ(after[0].chunks[i].chunk_id, before[0].chunks[i].chunk_id);
    EXPECT_EQ(after[0].chunks[i].records, before[0].chunks[i].records);
    EXPECT_EQ(after[0].chunks[i].attempts, before[0].chunks[i].attempts);
  }
}

TEST(ExportTest, CursorPagesLandAsZeroPaddedPagesAndARerunSkipsThem) {
  auto sim = quick_simulator();
  sim.jobs = {{"conversations", 2500, 5000}, {"users", 1200, 5000}};
  ExportHarness h(sim);
  h.pipeline_settings().page_size = 1000;
  auto conv = h.run("conversations", h.job(0));
  ASSERT_TRUE(conv.ok()) << conv.error().describe();
  EXPECT_EQ(conv->chunks_total, 3u);
  auto users = h.run("users", h.job(1));
  ASSERT_TRUE(users.ok()) << users.error().describe();
  EXPECT_EQ(users->chunks_total, 2u);
  EXPECT_TRUE(h.check(h.job(0)).exact()) << h.check(h.job(0)).summary();
  EXPECT_TRUE(h.check(h.job(1)).exact()) << h.check(h.job(1)).summary();
  const auto all = h.status();
  const auto* job = find_job(all, h.job(0));
  ASSERT_NE(job, nullptr);
  ASSERT_EQ(job->chunks.size(), 3u);
  EXPECT_EQ(job->chunks[0].chunk_id, "000001");
  EXPECT_EQ(job->chunks[2].chunk_id, "000003");

  auto again = h.run("conversations", h.job(0));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->chunks_skipped, 3u);
  EXPECT_EQ(again->records, 0u);
  EXPECT_TRUE(h.check(h.job(0)).exact());
}

TEST(ExportTest, FlawedRecordsAreQuarantinedAndTheRestOfTheirChunkLands) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:interactions", 5000, 1000}};
  sim.faults.malformed_record.count = 2;
  sim.faults.invalid_utf8.probability = 0.01;
  sim.faults.nul_escape.probability = 0.01;
  ExportHarness h(sim);
  auto outcome = h.run("bulk:interactions", h.job(0));
  ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
  const auto check = h.check(h.job(0));
  EXPECT_TRUE(check.exact()) << check.summary();
  EXPECT_GE(check.quarantined, 3u);  // 2 malformed + some invalid UTF-8
  EXPECT_EQ(outcome->quarantined, check.quarantined);
  EXPECT_EQ(outcome->chunks_landed, 5u);  // every chunk landed despite its bad records
  const auto reasons = quarantine_reasons(h.db_path());
  EXPECT_EQ(reasons.count("malformed JSON"), 1u);
  EXPECT_EQ(reasons.count("invalid UTF-8"), 1u);
}

TEST(ExportTest, FlawedRecordsInCursorPagesAreQuarantinedAndTheRestOfThePageLands) {
  auto sim = quick_simulator();
  sim.jobs = {{"conversations", 3000, 5000}};
  sim.faults.malformed_record.count = 1;
  sim.faults.invalid_utf8.probability = 0.01;
  sim.faults.nul_escape.probability = 0.01;
  ExportHarness h(sim);
  h.pipeline_settings().page_size = 1000;
  auto outcome = h.run("conversations", h.job(0));
  ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
  const auto check = h.check(h.job(0));
  EXPECT_TRUE(check.exact()) << check.summary();
  EXPECT_GE(check.quarantined, 2u);
}

TEST(ExportTest, TruncatedResetAndOverloadedResponsesAreRetriedToAnExactSet) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 6000, 1000}};
  sim.faults.truncated_body.count = 2;
  sim.faults.reset_mid_body.count = 2;
  sim.faults.server_error.count = 2;
  sim.faults.too_many_requests.count = 1;
  ExportHarness h(sim);
  auto outcome = h.run("bulk:users", h.job(0));
  ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
  const auto check = h.check(h.job(0));
  EXPECT_TRUE(check.exact()) << check.summary();
  EXPECT_EQ(check.landed, 6000u);
  int retried = 0;
  const auto all = h.status();  // kept: a range-for over a temporary's member would dangle
  for (const auto& c : all.at(0).chunks) retried += c.attempts > 1 ? 1 : 0;
  EXPECT_GE(retried, 1);
}

TEST(ExportTest, AFiftyMegabyteChunkIsSpilledAndLandsWhole) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 3000, 1000}};
  sim.faults.huge_chunk_mb = 50;
  ExportHarness h(sim);
  h.pipeline_settings().spill_threshold_bytes = 8u << 20;
  auto outcome = h.run("bulk:users", h.job(0));
  ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
  EXPECT_GE(outcome->bytes, 50u << 20);
  const auto check = h.check(h.job(0));
  EXPECT_TRUE(check.exact()) << check.summary();
  // The spill file went with its chunk: only the store is left.
  for (const auto& entry : std::filesystem::directory_iterator(h.dir())) {
    EXPECT_THAT(entry.path().filename().string(), HasSubstr("out.db"));
  }
}

TEST(ExportTest, AHundredMegabyteRecordGoesToTheQuarantineWholeAndTheRestOfItsChunkLandsWithinTheBudget) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 3000, 1000}};
  sim.faults.huge_record_mb = 100;  // record 1, in chunk 0 among 999 ordinary ones
  ExportHarness h(sim);
  auto outcome = h.run("bulk:users", h.job(0));
  ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
  EXPECT_EQ(outcome->chunks_landed, 3u);
  EXPECT_EQ(outcome->records, 2999u);
  EXPECT_EQ(outcome->quarantined, 1u);
  const auto check = h.check(h.job(0));
  EXPECT_EQ(check.landed, 2999u);
  EXPECT_EQ(check.duplicates, 0u);
  EXPECT_EQ(check.unexpected, 0u);
  EXPECT_EQ(check.missing, 1u);  // record 1: not landed, in the quarantine (below)
  EXPECT_EQ(check.quarantined, 1u);
  EXPECT_LE(h.budget_high_water(), h.pipeline_settings().memory_budget_bytes);

  // The quarantined row is record 1 whole: its length and its bytes' checksum.
  auto params = h.server().data_params(h.job(0));
  ASSERT_TRUE(params.ok());
  std::string want;
  simulator::append_record(want, *params, 1);
  ASSERT_GE(want.size(), 100u << 20);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(h.db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT chunk_id, ordinal, reason, length(raw), raw FROM quarantine", -1, &stmt, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 1), 1);
  EXPECT_THAT(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2)),
              HasSubstr("record larger than the maximum record size"));
  EXPECT_EQ(static_cast<std::size_t>(sqlite3_column_int64(stmt, 3)), want.size());
  const auto* raw = static_cast<const char*>(sqlite3_column_blob(stmt, 4));
  const auto raw_size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, 4));
  EXPECT_EQ(fnv1a64(std::string_view(raw, raw_size)), fnv1a64(want));
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(ExportTest, ASpillFileThatCannotBeWrittenFailsItsChunksWithOneClearLineAndARerunLandsThem) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 3000, 1000}};
  ExportHarness h(sim);
  h.pipeline_settings().spill_threshold_bytes = 1;  // every chunk goes to a spill file
  h.pipeline_settings().spill_dir = h.dir() / "no-such-dir";
  auto outcome = h.run("bulk:users", h.job(0));
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.error().message, HasSubstr("spill file"));
  EXPECT_THAT(outcome.error().message, HasSubstr("run the same command again"));
  EXPECT_EQ(h.check(h.job(0)).landed, 0u);

  h.pipeline_settings().spill_dir = h.dir();
  auto again = h.run("bulk:users", h.job(0));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  const auto check = h.check(h.job(0));
  EXPECT_TRUE(check.exact()) << check.summary();
}

TEST(ExportTest, AJobEndingFailedIsAnErrorWithOneClearLine) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 1000, 500}};
  sim.faults.job_failed.count = 1;
  ExportHarness h(sim);
  auto outcome = h.run("bulk:users", h.job(0));
  ASSERT_FALSE(outcome.ok());
  const std::string line = outcome.error().describe();
  EXPECT_THAT(line, HasSubstr(h.job(0)));
  EXPECT_THAT(line, HasSubstr("failed"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto all = h.status();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].job.state, "failed");
  EXPECT_TRUE(all[0].chunks.empty());
}

TEST(ExportTest, AChunkThatFailsEveryAttemptIsMarkedFailedAndARerunLandsIt) {
  auto sim = quick_simulator();
  sim.jobs = {{"bulk:users", 5000, 1000}};
  sim.faults.truncated_body.count = 2;
  ExportHarness h(sim);
  h.pipeline_settings().retry.max_attempts = 1;
  h.pipeline_settings().concurrency = 1;
  auto first = h.run("bulk:users", h.job(0));
  ASSERT_FALSE(first.ok());
  EXPECT_THAT(first.error().describe(), HasSubstr("2 of 5 chunks could not be landed"));
  const auto all = h.status();
  int failed = 0;
  for (const auto& c : all.at(0).chunks) {
    if (c.state == "failed") {
      ++failed;
      EXPECT_FALSE(c.error.empty());
      EXPECT_EQ(c.attempts, 1);
    }
  }
  EXPECT_EQ(failed, 2);

  auto second = h.run("bulk:users", h.job(0));
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(second->chunks_landed, 2u);
  EXPECT_EQ(second->chunks_skipped, 3u);
  const auto check = h.check(h.job(0));
  EXPECT_TRUE(check.exact()) << check.summary();
}

TEST(ExportTest, ARerunOfTheSameQueryAdoptsItsUnfinishedJobInsteadOfCreatingAnother) {
  auto sim = quick_simulator();
  sim.records_per_job = 3000;
  sim.chunk_records = 1000;
  sim.faults.truncated_body.count = 1;
  ExportHarness h(sim);
  h.pipeline_settings().retry.max_attempts = 1;
  auto first = h.run("bulk:users", "", R"({"filter": {"a": 1}, "b": 2})");
  ASSERT_FALSE(first.ok());
  ASSERT_EQ(h.server().jobs().size(), 1u);
  const std::string job_id = h.server().jobs()[0].job_id;

  // The same query, spelled differently: same export.
  auto second = h.run("bulk:users", "", R"({ "b": 2, "filter": {"a": 1} })");
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(second->job_id, job_id);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(h.server().jobs().size(), 1u);
  EXPECT_TRUE(h.check(job_id).exact()) << h.check(job_id).summary();

  // Once everything landed, the same query is a new export.
  auto third = h.run("bulk:users", "", R"({"filter": {"a": 1}, "b": 2})");
  ASSERT_TRUE(third.ok()) << third.error().describe();
  EXPECT_TRUE(third->created);
  EXPECT_NE(third->job_id, job_id);
  EXPECT_EQ(h.server().jobs().size(), 2u);
}

// Bounded patience. Our side and the simulator share a FakeClock: the
// minutes of an outage are stepped, not slept.
simulator::Settings outage_simulator(FakeClock& clock, std::chrono::seconds outage, bool retry_after) {
  auto sim = quick_simulator();
  sim.clock = &clock;
  sim.jobs = {{"bulk:users", 5000, 1000}};
  sim.faults.outage_duration = outage;  // from the start: every request 503
  sim.faults.outage_without_retry_after = !retry_after;
  return sim;
}

TEST(ExportTest, AnOutageLongerThanMaxOutageEndsTheRunSayingWhatFailedForHowLongAndTheSameCommandResumes) {
  FakeClock clock;
  ExportHarness h(outage_simulator(clock, std::chrono::minutes(10), /*retry_after=*/false));
  h.use_clock(clock);
  h.settings().retry.max_outage = std::chrono::minutes(5);
  h.pipeline_settings().retry.base_delay = std::chrono::milliseconds(500);
  h.pipeline_settings().retry.max_delay = std::chrono::seconds(60);
  const SteadyTime began = clock.now();
  auto first = h.run("bulk:users", h.job(0));
  ASSERT_FALSE(first.ok());
  EXPECT_TRUE(first.error().transient());
  EXPECT_THAT(first.error().message,
              HasSubstr("polling job " + h.job(0) +
                        ": every API call has failed for 5m00s (--max-outage 5m00s); the last: HTTP 503: "));
  EXPECT_THAT(first.error().message, HasSubstr("run the same command again to resume"));
  EXPECT_EQ(clock.now() - began, std::chrono::minutes(5));  // not the 24 hours of the poll's limit

  clock.advance(std::chrono::minutes(5));  // the outage is over
  auto second = h.run("bulk:users", h.job(0));
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(second->chunks_landed, 5u);
  const auto check = h.check(h.job(0));
  EXPECT_TRUE(check.exact()) << check.summary();
}

TEST(ExportTest, AServerAskingToWaitLongerThanMaxOutageEndsTheRunAtOnceSayingWhatItAskedFor) {
  FakeClock clock;
  ExportHarness h(outage_simulator(clock, std::chrono::hours(2), /*retry_after=*/true));
  h.use_clock(clock);
  h.settings().retry.max_outage = std::chrono::minutes(5);
  auto run = h.run("bulk:users", h.job(0));
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.error().message, HasSubstr("the server asked to wait 2h00m before trying again, more than the "
                                             "5m00s left of --max-outage (HTTP 503: "));
  EXPECT_THAT(run.error().message, HasSubstr("run the same command again to resume"));
  EXPECT_EQ(run.error().retry_after, std::chrono::hours(2));  // what a worker would hand to the broker
  EXPECT_EQ(clock.total_slept(), Duration::zero());
}

TEST(ExportTest, CreatingAJobWhileTheLoginIsUnreachableIsRetriedAndNeverSaysTheJobMayExist) {
  // No create request can have left without a token: retrying it is safe.
  FakeClock clock;
  auto sim = quick_simulator();
  sim.clock = &clock;
  ExportHarness h(sim);
  h.use_clock(clock);
  h.settings().hosts.login_url = "http://127.0.0.1:1";  // nothing listens there: connection refused
  h.settings().retry.max_outage = std::chrono::minutes(1);
  h.pipeline_settings().retry.max_delay = std::chrono::seconds(10);
  auto run = h.run("bulk:users", "");
  ASSERT_FALSE(run.ok());
  const std::string& m = run.error().message;
  EXPECT_THAT(m, HasSubstr("creating the bulk:users job failed after "));
  EXPECT_THAT(m, HasSubstr("every API call has failed for 1m00s (--max-outage 1m00s)"));
  EXPECT_THAT(m, ::testing::Not(HasSubstr("may have been created")));
  EXPECT_EQ(clock.total_slept(), std::chrono::minutes(1));
}

}  // namespace
}  // namespace gb::testing
