// ExportPipeline::run_slice, the worker's entry point, and the units it is
// made of: one poll per slice, the poll schedule from the job's first-seen
// time, idempotent submits, deadlines, cancellation, and page chains that
// resume from the cursor in the ledger. A scripted JobsApi (time on a
// FakeClock that downloads advance) and a real SQLite store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "../../integration/export_harness.hpp"
#include "pipeline/chunk_unit.hpp"
#include "pipeline/job_resolver.hpp"
#include "pipeline/page_unit.hpp"
#include "pipeline/pipeline.hpp"
#include "testing/fake_clock.hpp"

namespace gb::pipeline {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

class SliceApi final : public api::JobsApi {
 public:
  explicit SliceApi(FakeClock& clock) : clock_(clock) {}

  int create_calls = 0;
  int get_calls = 0;
  api::JobPhase phase = api::JobPhase::kRunning;
  std::vector<std::string> chunk_ids = {"c1", "c2", "c3"};
  Duration download_takes{0};    // each download (chunk or page) advances the clock
  std::deque<Error> get_errors;  // answered before any snapshot
  std::string cancel_on;         // this chunk's download requests `cancel` halfway
  StopSignal* cancel = nullptr;
  int pages = 4;
  std::vector<std::string> cursors_seen;  // fetch_page's cursor, call by call

  Result<std::string> create_job(const api::ExportType&, const std::string&, const CallLimits&) override {
    return "job-" + std::to_string(++create_calls);
  }
  Result<api::JobSnapshot> get_job(const api::ExportType& type, const std::string&, const CallLimits&) override {
    ++get_calls;
    if (!get_errors.empty()) {
      Error e = get_errors.front();
      get_errors.pop_front();
      return e;
    }
    api::JobSnapshot s;
    s.phase = phase;
    s.state = phase == api::JobPhase::kRunning ? "PENDING" : phase == api::JobPhase::kFailed ? "FAILED" : "FULFILLED";
    if (phase == api::JobPhase::kSucceeded && !type.paged()) {
      for (const auto& id : chunk_ids) s.chunks.push_back({id, "http://sim/" + id, 0});
    }
    return s;
  }
  Status download_chunk(const api::ChunkInfo& chunk, const http::BodySink& sink, const CallLimits&) override {
    clock_.advance(download_takes);
    const std::string id = chunk.chunk_id;
    if (auto s = sink(R"([{"id":")" + id + R"(-a"},)"); !s.ok()) return s;
    if (id == cancel_on && cancel != nullptr) cancel->request();  // the soft time limit, mid-body
    return sink(R"({"id":")" + id + R"(-b"}])");
  }
  Result<api::Page> fetch_page(const api::ExportType&, const std::string&, const std::string& cursor, int,
                               const CallLimits&) override {
    cursors_seen.push_back(cursor);
    clock_.advance(download_takes);
    const int n = cursor.empty() ? 1 : std::stoi(cursor.substr(4));
    api::Page p;
    p.body = R"({"conversations":[{"conversationId":"p)" + std::to_string(n) + R"(-a"}]})";
    if (n < pages) p.cursor = "cur-" + std::to_string(n + 1);
    return p;
  }

 private:
  FakeClock& clock_;
};

// Page 1 of a job as version 2 of the store landed it.
class OnePage final : public sinks::BatchSource {
 public:
  Result<bool> next(records::RecordBatch& batch) override {
    batch.records.clear();
    batch.quarantined.clear();
    if (given_) return false;
    given_ = true;
    batch.records.push_back(records::Record{0, "p1-a", R"({"conversationId":"p1-a"})"});
    return true;
  }

 private:
  bool given_ = false;
};

Error http_error(ErrorKind kind, int status, std::optional<milliseconds> retry_after = std::nullopt) {
  Error e = make_error(kind, "scripted");
  e.http_status = status;
  e.retry_after = retry_after;
  return e;
}

class SliceTest : public ::testing::Test {
 protected:
  SliceTest() : api_(clock_) {
    auto store = app::open_store("sqlite:" + (dir_.path() / "slices.db").string(), "");
    if (!store.ok()) throw std::runtime_error(store.error().describe());
    store_ = std::move(*store);
    settings_.concurrency = 1;
    settings_.retry.base_delay = milliseconds(10);
    settings_.retry.max_delay = milliseconds(100);
    settings_.stop = &never_;
    settings_.spill_dir = dir_.path();
    settings_.wall_clock = [this] { return std::chrono::system_clock::now() + wall_offset_; };
  }
  ExportRequest request(const char* type = "bulk:users") {
    ExportRequest r;
    r.type = *api::ExportType::parse(type);
    r.query_json = R"({"interval":"2026-11-01T00:00:00Z/2026-11-02T00:00:00Z"})";
    return r;
  }
  // One slice as a worker runs it: a fresh pipeline (a new task), `budget` of time.
  Result<SliceOutcome> slice(const ExportRequest& r, Duration budget = hours(1), const StopSignal* cancel = nullptr) {
    ExportPipeline p(settings_, api_, *store_.state, *store_.landing, patience_, clock_, clock_, progress_);
    return p.run_slice(r, SliceLimits{clock_.now() + budget, cancel});
  }
  std::vector<std::string> landed(const std::string& job) { return *store_.state->landed_chunks(job); }

  gb::testing::TempDir dir_;
  app::Store store_;
  FakeClock clock_;
  resilience::Patience patience_{std::chrono::minutes(5), clock_};
  NullProgress progress_;
  PipelineSettings settings_;
  StopSignal never_;
  std::chrono::system_clock::duration wall_offset_{0};
  SliceApi api_;
};

TEST(NextPollDelay, OneTwoFourEightSecondsThenTheInterval) {
  const milliseconds first(1000), interval(15'000);
  EXPECT_EQ(next_poll_delay(milliseconds(0), first, interval), seconds(1));
  EXPECT_EQ(next_poll_delay(milliseconds(999), first, interval), seconds(1));
  EXPECT_EQ(next_poll_delay(milliseconds(1000), first, interval), seconds(2));
  EXPECT_EQ(next_poll_delay(milliseconds(2999), first, interval), seconds(2));
  EXPECT_EQ(next_poll_delay(milliseconds(3000), first, interval), seconds(4));
  EXPECT_EQ(next_poll_delay(milliseconds(7000), first, interval), seconds(8));
  EXPECT_EQ(next_poll_delay(milliseconds(14'999), first, interval), seconds(8));
  EXPECT_EQ(next_poll_delay(milliseconds(15'000), first, interval), seconds(15));
  EXPECT_EQ(next_poll_delay(hours(5), first, interval), seconds(15));
  EXPECT_EQ(next_poll_delay(milliseconds(7000), first, seconds(5)), seconds(5));  // never above the interval
}

TEST_F(SliceTest, ARunningJobIsPolledOnceAndTheNextPollFollowsItsAge) {
  auto first = slice(request());
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->kind, SliceKind::kJobRunning);
  EXPECT_EQ(first->next_poll, seconds(1));
  EXPECT_EQ(first->job_state, "PENDING");
  EXPECT_TRUE(first->outcome.created);
  EXPECT_EQ(api_.get_calls, 1);
  EXPECT_EQ(clock_.total_slept(), Duration::zero());  // a slice never waits for the job

  ExportRequest again = request();
  again.job_id = first->outcome.job_id;
  wall_offset_ = seconds(5);  // the store first saw the job 5 s ago
  auto later = slice(again);
  ASSERT_TRUE(later.ok()) << later.error().describe();
  EXPECT_EQ(later->kind, SliceKind::kJobRunning);
  EXPECT_EQ(later->next_poll, seconds(4));
  wall_offset_ = seconds(20);
  EXPECT_EQ(slice(again)->next_poll, seconds(15));

  wall_offset_ = hours(25);  // past --max-job-wait
  auto gave_up = slice(again);
  ASSERT_FALSE(gave_up.ok());
  EXPECT_EQ(gave_up.error().kind, ErrorKind::kPermanent);
  EXPECT_THAT(gave_up.error().message, HasSubstr("still PENDING"));
  EXPECT_EQ(api_.create_calls, 1);
}

TEST_F(SliceTest, ASubmitWithAKeyCreatesOneJobHoweverOftenItIsDelivered) {
  ExportRequest submit = request();
  submit.idempotency_key = "d9b2d63d-a233-4123-847a-7a1b6b7f9c2e";
  auto first = slice(submit);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->kind, SliceKind::kJobRunning);
  EXPECT_EQ(api_.create_calls, 1);

  auto redelivered = slice(submit);
  ASSERT_TRUE(redelivered.ok()) << redelivered.error().describe();
  EXPECT_EQ(redelivered->outcome.job_id, first->outcome.job_id);
  EXPECT_FALSE(redelivered->outcome.created);

  api_.phase = api::JobPhase::kSucceeded;
  auto done = slice(submit);
  ASSERT_TRUE(done.ok()) << done.error().describe();
  EXPECT_EQ(done->kind, SliceKind::kFinished);
  EXPECT_EQ(done->outcome.chunks_landed, 3u);
  EXPECT_EQ(done->outcome.records, 6u);

  // Delivered again after it finished: found by its key, landed already,
  // and the API is not asked at all.
  const int polls = api_.get_calls;
  auto after = slice(submit);
  ASSERT_TRUE(after.ok()) << after.error().describe();
  EXPECT_EQ(after->kind, SliceKind::kFinished);
  EXPECT_EQ(after->outcome.job_id, first->outcome.job_id);
  EXPECT_EQ(after->outcome.chunks_skipped, 3u);
  EXPECT_EQ(after->outcome.chunks_landed, 0u);
  EXPECT_EQ(after->totals.records, 6u);
  EXPECT_EQ(api_.get_calls, polls);
  EXPECT_EQ(api_.create_calls, 1);

  // Another task (another key) with the same query is another job.
  ExportRequest other = request();
  other.idempotency_key = "another-task";
  ASSERT_TRUE(slice(other).ok());
  EXPECT_EQ(api_.create_calls, 2);
}

TEST_F(SliceTest, TheDeadlineEndsLandingWithMoreToLandAndTheNextSliceResumes) {
  api_.phase = api::JobPhase::kSucceeded;
  api_.download_takes = seconds(10);
  auto first = slice(request(), seconds(15));
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->kind, SliceKind::kMoreToLand);
  EXPECT_EQ(first->outcome.chunks_landed, 2u);  // started at 0 s and 10 s; none after 15 s
  EXPECT_EQ(landed(first->outcome.job_id).size(), 2u);

  auto second = slice(request(), seconds(100));  // adopted by its query: same job
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(second->kind, SliceKind::kFinished);
  EXPECT_EQ(second->outcome.job_id, first->outcome.job_id);
  EXPECT_EQ(second->outcome.chunks_skipped, 2u);
  EXPECT_EQ(second->outcome.chunks_landed, 1u);
  EXPECT_EQ(landed(first->outcome.job_id).size(), 3u);
  // The result of the task: the whole job's, over both slices.
  EXPECT_EQ(second->totals.chunks, 3u);
  EXPECT_EQ(second->totals.records, 6u);
  EXPECT_FALSE(second->first_seen_at.empty());
}

TEST_F(SliceTest, ACancelMidChunkLandsNothingOfThatChunkAndIsInterrupted) {
  api_.phase = api::JobPhase::kSucceeded;
  StopSignal soft_limit;
  api_.cancel_on = "c2";
  api_.cancel = &soft_limit;
  auto cut = slice(request(), hours(1), &soft_limit);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().kind, ErrorKind::kInterrupted);
  auto status = store_.state->status(std::string("job-1"));
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->size(), 1u);
  ASSERT_EQ((*status)[0].chunks.size(), 1u);  // c1 landed; c2 neither landed nor failed
  EXPECT_EQ((*status)[0].chunks[0].chunk_id, "c1");

  api_.cancel_on.clear();
  StopSignal fresh;
  auto rest = slice(request(), hours(1), &fresh);
  ASSERT_TRUE(rest.ok()) << rest.error().describe();
  EXPECT_EQ(rest->kind, SliceKind::kFinished);
  EXPECT_EQ(rest->outcome.chunks_landed, 2u);
  EXPECT_EQ(landed("job-1"), (std::vector<std::string>{"c1", "c2", "c3"}));
}

TEST_F(SliceTest, ATransientPollFailureKeepsTheServersRetryAfterAndNeverSleepsPastTheDeadline) {
  api_.get_errors = {http_error(ErrorKind::kTransient, 429, seconds(30))};
  auto r = slice(request(), seconds(10));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(r.error().http_status, 429);
  EXPECT_EQ(r.error().retry_after, milliseconds(30'000));
  EXPECT_EQ(clock_.total_slept(), Duration::zero());

  // A short one is waited out within the slice.
  api_.get_errors = {http_error(ErrorKind::kTransient, 503, seconds(1))};
  auto retried = slice(request(), seconds(10));
  ASSERT_TRUE(retried.ok()) << retried.error().describe();
  EXPECT_EQ(retried->kind, SliceKind::kJobRunning);
}

TEST_F(SliceTest, PermanentFailuresAreTellableApart) {
  api_.get_errors = {http_error(ErrorKind::kPermanent, 404)};
  auto missing = slice(request());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(missing.error().http_status, 404);

  api_.get_errors = {http_error(ErrorKind::kUnauthorized, 401)};
  auto refused = slice(request());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnauthorized);

  api_.phase = api::JobPhase::kFailed;
  auto failed = slice(request());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kPermanent);
  EXPECT_THAT(failed.error().message, HasSubstr("ended FAILED"));

  ExportRequest bad = request();
  bad.job_id = "not a job id";
  EXPECT_EQ(slice(bad).error().kind, ErrorKind::kInvalidInput);
}

TEST_F(SliceTest, APageChainResumesFromTheCursorInTheLedger) {
  api_.phase = api::JobPhase::kSucceeded;
  api_.download_takes = seconds(10);
  auto first = slice(request("conversations"), seconds(15));
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->kind, SliceKind::kMoreToLand);
  EXPECT_EQ(first->outcome.chunks_landed, 2u);
  EXPECT_EQ(api_.cursors_seen, (std::vector<std::string>{"", "cur-2"}));

  auto second = slice(request("conversations"), hours(1));
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(second->kind, SliceKind::kFinished);
  EXPECT_EQ(second->outcome.chunks_skipped, 2u);
  EXPECT_EQ(second->outcome.chunks_landed, 2u);
  EXPECT_EQ(second->outcome.chunks_total, 4u);
  // Pages 1 and 2 were not fetched again.
  EXPECT_EQ(api_.cursors_seen, (std::vector<std::string>{"", "cur-2", "cur-3", "cur-4"}));
}

TEST_F(SliceTest, APageLandedBeforeCursorsWereKeptIsFetchedForItsCursorOnly) {
  api_.phase = api::JobPhase::kSucceeded;
  api_.pages = 2;
  ExportRequest r = request("conversations");
  r.job_id = "job-old";
  ASSERT_TRUE(store_.state->upsert_job({"job-old", "conversations", "FULFILLED", "", -1, ""}).ok());
  OnePage old_page;
  ASSERT_TRUE(store_.landing->land({"job-old", "000001", "bulk:users"}, old_page, 1, std::nullopt)
                  .ok());  // as version 2 did: no cursor

  auto done = slice(r);
  ASSERT_TRUE(done.ok()) << done.error().describe();
  EXPECT_EQ(done->kind, SliceKind::kFinished);
  EXPECT_EQ(done->outcome.chunks_skipped, 1u);
  EXPECT_EQ(done->outcome.chunks_landed, 1u);
  EXPECT_EQ(api_.cursors_seen, (std::vector<std::string>{"", "cur-2"}));
}

// The units alone, as a worker may drive them: resolve, then one chunk.
TEST_F(SliceTest, TheUnitsWorkOnTheirOwn) {
  MemoryBudget budget(settings_.memory_budget_bytes);
  const UnitContext ctx{settings_, api_, *store_.state, *store_.landing, patience_, clock_, clock_, budget};
  ExportRequest submit = request();
  submit.idempotency_key = "task-units";
  auto job = JobResolver(ctx).resolve(submit);
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_TRUE(job->created);
  EXPECT_FALSE(job->first_seen_at.empty());
  auto found = JobResolver(ctx).find(submit);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->job_id, job->job_id);

  Attempts attempts;
  auto one = ChunkUnit(ctx).fetch_and_land(job->job_id, *api::ExportType::parse("bulk:users"),
                                           {"c9", "http://sim/c9", 0}, {}, attempts);
  ASSERT_TRUE(one.ok()) << one.error().describe();
  EXPECT_EQ(one->records, 2u);
  EXPECT_EQ(attempts.count, 1);
  Attempts again;
  EXPECT_TRUE(
      ChunkUnit(ctx)
          .fetch_and_land(job->job_id, *api::ExportType::parse("bulk:users"), {"c9", "http://sim/c9", 0}, {}, again)
          ->already_landed);

  Attempts page_attempts;
  sinks::LandResult page_landed;
  auto page = PageUnit(ctx).fetch_and_land(job->job_id, *api::ExportType::parse("conversations"), 1, "", {},
                                           page_attempts, page_landed);
  ASSERT_TRUE(page.ok()) << page.error().describe();
  EXPECT_EQ(page->next_cursor, "cur-2");
  EXPECT_EQ(page_landed.records, 1u);
  auto cursors = store_.state->landed_chunk_cursors(job->job_id);
  ASSERT_TRUE(cursors.ok());
  ASSERT_EQ(cursors->size(), 2u);
  EXPECT_EQ((*cursors)[0].chunk_id, "000001");
  EXPECT_EQ((*cursors)[0].next_cursor, std::optional<std::string>("cur-2"));
}

TEST_F(SliceTest, OneFailurePathForChunksAndPages) {
  record_failure(*store_.state, {"job-f", "c1", "bulk:users"}, 3, "HTTP 500");
  auto status = store_.state->status(std::string("job-f"));
  ASSERT_TRUE(status.ok());
  ASSERT_EQ((*status)[0].chunks.size(), 1u);
  EXPECT_EQ((*status)[0].chunks[0].state, "failed");
  EXPECT_EQ((*status)[0].chunks[0].attempts, 3);
  record_failure(*store_.state, {"job-f", "not an id", "bulk:users"}, 1, "x");  // logged, never thrown
}

}  // namespace
}  // namespace gb::pipeline
