// How the pipeline creates or adopts its job. Creating is not idempotent, and
// the simulator cannot cut a connection after taking a create request, so
// these use a scripted JobsApi (with a real SQLite store and a FakeClock).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

#include "../../integration/export_harness.hpp"
#include "pipeline/pipeline.hpp"
#include "testing/fake_clock.hpp"

namespace gb::pipeline {
namespace {

using ::testing::HasSubstr;

class ScriptedApi final : public api::JobsApi {
 public:
  std::deque<Result<std::string>> creates;
  int create_calls = 0;
  int get_calls = 0;

  Result<std::string> create_job(const api::ExportType&, const std::string&, const CallLimits&) override {
    ++create_calls;
    if (creates.empty()) return permanent_error("no more scripted creates");
    auto r = creates.front();
    creates.pop_front();
    return r;
  }
  Result<api::JobSnapshot> get_job(const api::ExportType&, const std::string&, const CallLimits&) override {
    ++get_calls;
    api::JobSnapshot s;
    s.state = "completed";
    s.phase = api::JobPhase::kSucceeded;  // no chunks: nothing to download
    return s;
  }
  Status download_chunk(const api::ChunkInfo&, const http::BodySink&, const CallLimits&) override {
    return permanent_error("not scripted");
  }
  Result<api::Page> fetch_page(const api::ExportType&, const std::string&, const std::string&, int,
                               const CallLimits&) override {
    return permanent_error("not scripted");
  }
};

Error http_error(ErrorKind kind, int status) {
  Error e = make_error(kind, "scripted");
  e.http_status = status;
  return e;
}

class JobResolutionTest : public ::testing::Test {
 protected:
  JobResolutionTest() {
    auto store = app::open_store("sqlite:" + (dir_.path() / "jobs.db").string(), "");
    if (!store.ok()) throw std::runtime_error(store.error().describe());
    store_ = std::move(*store);
    settings_.retry.max_attempts = 4;
  }
  Result<ExportOutcome> run() {
    ExportPipeline p(settings_, api_, *store_.state, *store_.landing, patience_, clock_, clock_, progress_);
    ExportRequest r;
    r.type = *api::ExportType::parse("bulk:users");
    r.query_json = R"({"interval":"2026-11-01T00:00:00Z/2026-11-02T00:00:00Z"})";
    return p.run(r);
  }

  gb::testing::TempDir dir_;
  app::Store store_;
  FakeClock clock_;
  resilience::Patience patience_{std::chrono::minutes(5), clock_};
  NullProgress progress_;
  PipelineSettings settings_;
  ScriptedApi api_;
};

TEST_F(JobResolutionTest, ACreateTheServerRefusedIsRetried) {
  api_.creates = {http_error(ErrorKind::kTransient, 503), http_error(ErrorKind::kTransient, 429), std::string("job-1")};
  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
  EXPECT_EQ(outcome->job_id, "job-1");
  EXPECT_TRUE(outcome->created);
  EXPECT_EQ(api_.create_calls, 3);
  EXPECT_GT(clock_.total_slept(), Duration::zero());  // backed off between tries
}

TEST_F(JobResolutionTest, ACreateWhoseAnswerWasLostIsNotRetriedBlindly) {
  api_.creates = {http_error(ErrorKind::kTransient, 0), std::string("job-2")};
  auto outcome = run();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(api_.create_calls, 1);
  EXPECT_THAT(outcome.error().describe(), HasSubstr("--job-id"));
}

TEST_F(JobResolutionTest, ACreateThatNeverLeftIsRetried) {
  // A refused connection, an unresolvable host, no token: no job can exist.
  Error never_left = http_error(ErrorKind::kTransient, 0);
  never_left.not_sent = true;
  api_.creates = {never_left, never_left, std::string("job-5")};
  auto outcome = run();
  ASSERT_TRUE(outcome.ok()) << outcome.error().describe();
  EXPECT_EQ(outcome->job_id, "job-5");
  EXPECT_EQ(api_.create_calls, 3);
}

TEST_F(JobResolutionTest, ACreateAnsweredButCutShortIsNotRetriedBlindly) {
  // The server said 200 and the body broke off: the job exists, its id is lost.
  api_.creates = {http_error(ErrorKind::kTransient, 200), std::string("job-6")};
  auto outcome = run();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(api_.create_calls, 1);
  EXPECT_THAT(outcome.error().describe(), HasSubstr("the job may have been created"));
}

TEST_F(JobResolutionTest, ACreatedJobIsRecordedAtOnceAndAdoptedByTheNextRunUntilItHasLanded) {
  api_.creates = {std::string("job-3"), std::string("job-4")};
  // The job is recorded before it is polled: a crash after creating it would
  // leave it in the store for the next run. Simulate an unfinished run by
  // recording it as the pipeline does, with its query's hash.
  const auto type = *api::ExportType::parse("bulk:users");
  const std::string hash = query_hash(type, R"({"interval":"2026-11-01T00:00:00Z/2026-11-02T00:00:00Z"})");
  ASSERT_TRUE(store_.state->upsert_job({"job-0", "bulk:users", "created", "", -1, hash}).ok());

  auto adopted = run();
  ASSERT_TRUE(adopted.ok()) << adopted.error().describe();
  EXPECT_EQ(adopted->job_id, "job-0");
  EXPECT_FALSE(adopted->created);
  EXPECT_EQ(api_.create_calls, 0);

  // job-0 has now landed wholly: the same export again is a new job.
  auto fresh = run();
  ASSERT_TRUE(fresh.ok()) << fresh.error().describe();
  EXPECT_EQ(fresh->job_id, "job-3");
  EXPECT_EQ(api_.create_calls, 1);
  auto all = store_.state->status(std::nullopt);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  for (const auto& j : *all) EXPECT_EQ(j.job.state, "landed");
}

TEST_F(JobResolutionTest, AnInvalidJobIdIsRefusedBeforeAnythingIsSent) {
  ExportPipeline p(settings_, api_, *store_.state, *store_.landing, patience_, clock_, clock_, progress_);
  ExportRequest r;
  r.type = *api::ExportType::parse("bulk:users");
  r.job_id = "../etc/passwd";
  auto outcome = p.run(r);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(api_.get_calls, 0);
}

}  // namespace
}  // namespace gb::pipeline
