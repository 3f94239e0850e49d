#include "worker/task_runner.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <thread>

#include "testing/fake_clock.hpp"
#include "testing/worker_fakes.hpp"
#include "worker/dead_letter.hpp"

namespace gb::worker {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using Action = Handled::Action;
using Disposition = Handled::Disposition;

constexpr std::int64_t kNowMs = 1'764'630'000'000;
constexpr const char* kTask = "bulk_processor.process_bulk_job_task";

std::int64_t highest(std::int64_t /*lo*/, std::int64_t hi) {
  return hi;
}

class TaskRunnerTest : public ::testing::Test {
 protected:
  TaskRunnerTest() { retry_settings_.base = seconds(2); }

  TaskRunner& runner() {
    if (!runner_) {
      retry_ = std::make_unique<RetryPolicy>(retry_settings_, highest);
      runner_ = std::make_unique<TaskRunner>(settings_, codec_, slices_, publisher_, results_, *retry_, ladder_, clock_,
                                             [this] { return wall_; });
    }
    return *runner_;
  }

  static Message task_message(int retries = 0) {
    Message m;
    m.body = "[]";
    m.correlation_id = "task-1";
    m.reply_to = "reply.q";
    m.headers = {{"id", "task-1"},
                 {"task", kTask},
                 {"retries", retries},
                 {"args", R"(["job-1", "users"])"},
                 {"x-death", FieldArray{}}};
    return m;
  }

  static SliceResult finished() {
    SliceResult r;
    r.kind = SliceResult::Kind::kFinished;
    r.job_id = "job-1";
    r.job_type = "users";
    r.state = "landed";
    r.chunks = 3;
    r.records = 2500;
    r.quarantined = 1;
    r.duration_s = 12.5;
    return r;
  }

  static SliceResult running(milliseconds next_poll) {
    SliceResult r;
    r.kind = SliceResult::Kind::kJobRunning;
    r.next_poll = next_poll;
    r.job_id = "job-1";
    return r;
  }

  static SliceResult more_to_land() {
    SliceResult r;
    r.kind = SliceResult::Kind::kMoreToLand;
    r.job_id = "job-1";
    return r;
  }

  static std::int64_t header_int(const Message& m, std::string_view name) {
    const FieldValue* v = find_field(m.headers, name);
    return v != nullptr && v->as_int() != nullptr ? *v->as_int() : -1;
  }

  DeadLetter only_dead_letter() {
    EXPECT_EQ(publisher_.published.size(), 1U);
    EXPECT_EQ(publisher_.published.at(0).routing_key, "genesys-bulk.dlq");
    auto parsed = parse_dead_letter(publisher_.published.at(0).message.body);
    EXPECT_TRUE(parsed.ok());
    return parsed.ok() ? *parsed : DeadLetter{};
  }

  RunnerSettings settings_{TimeLimitSettings{}, true, false, "host-a", 4242};
  RetrySettings retry_settings_;
  FakeTaskCodec codec_;
  FakeSliceRunner slices_;
  FakePublisher publisher_;
  FakeResultBackend results_;
  DelayLadder ladder_{"genesys-bulk"};
  FakeClock clock_;
  WallTime wall_{milliseconds(kNowMs)};
  std::unique_ptr<RetryPolicy> retry_;
  std::unique_ptr<TaskRunner> runner_;
};

TEST_F(TaskRunnerTest, FinishedSliceStoresTheSummaryThenAcks) {
  slices_.outcomes.emplace_back(finished());
  Message m = task_message();
  // duration_s: since the task was first seen (its first slice), not this slice's.
  m.headers.emplace_back(std::string(kFirstSeenHeader), "2025-12-01T22:59:47.500Z");
  const Handled h = runner().handle(m);
  EXPECT_EQ(h.disposition, Disposition::kAck);
  EXPECT_EQ(h.action, Action::kSucceeded);
  EXPECT_EQ(h.task_id, "task-1");
  EXPECT_TRUE(publisher_.published.empty());
  ASSERT_EQ(results_.stored.size(), 1U);
  const auto& r = results_.stored[0];
  EXPECT_EQ(r.state, TaskState::kSuccess);
  EXPECT_EQ(r.reply_to, "reply.q");
  EXPECT_EQ(r.correlation_id, "task-1");
  EXPECT_EQ(r.result_json, R"({"job_id":"job-1","job_type":"users","state":"landed","chunks":3,"records":2500,)"
                           R"("quarantined":1,"duration_s":12.500})");
  ASSERT_EQ(slices_.seen.size(), 1U);
  EXPECT_EQ(slices_.seen[0].args_json, R"(["job-1", "users"])");
  EXPECT_EQ(slices_.seen_limits[0].deadline, clock_.now() + minutes(5));
  EXPECT_NE(slices_.seen_limits[0].cancel, nullptr);
}

TEST_F(TaskRunnerTest, ResultStoreFailureHandsTheMessageBack) {
  slices_.outcomes.emplace_back(finished());
  results_.fail_states = {TaskState::kSuccess};
  const Handled h = runner().handle(task_message());
  EXPECT_EQ(h.disposition, Disposition::kRequeue);
}

TEST_F(TaskRunnerTest, IgnoreResultStoresNothing) {
  slices_.outcomes.emplace_back(finished());
  Message m = task_message();
  m.headers.emplace_back("ignore_result", true);
  EXPECT_EQ(runner().handle(m).action, Action::kSucceeded);
  EXPECT_TRUE(results_.stored.empty());
}

TEST_F(TaskRunnerTest, RunningJobContinuesThroughTheLadderKeepingItsIdentity) {
  slices_.outcomes.emplace_back(running(seconds(15)));
  const Handled h = runner().handle(task_message(2));
  EXPECT_EQ(h.disposition, Disposition::kAck);
  EXPECT_EQ(h.action, Action::kContinued);
  ASSERT_EQ(publisher_.published.size(), 1U);
  const auto& p = publisher_.published[0];
  EXPECT_EQ(p.exchange, "");
  EXPECT_EQ(p.routing_key, "genesys-bulk.delay.15s");
  EXPECT_EQ(header_int(p.message, "retries"), 2);  // not a retry
  EXPECT_EQ(header_int(p.message, "eta_ms"), kNowMs + 15'000);
  EXPECT_EQ(p.message.correlation_id, "task-1");
  EXPECT_EQ(p.message.reply_to, "reply.q");
  EXPECT_EQ(*find_field(p.message.headers, "id")->as_string(), "task-1");
  EXPECT_EQ(find_field(p.message.headers, "x-death"), nullptr);
  EXPECT_EQ(*find_field(p.message.headers, kFirstSeenHeader)->as_string(), "2025-12-01T23:00:00.000Z");
  EXPECT_TRUE(results_.stored.empty());  // the producer sees one result, at the end
}

TEST_F(TaskRunnerTest, ContinuationKeepsTheFirstSeenTime) {
  slices_.outcomes.emplace_back(running(seconds(15)));
  Message m = task_message();
  m.headers.emplace_back(std::string(kFirstSeenHeader), "2025-12-01T20:00:00.000Z");
  runner().handle(m);
  ASSERT_EQ(publisher_.published.size(), 1U);
  EXPECT_EQ(*find_field(publisher_.published[0].message.headers, kFirstSeenHeader)->as_string(),
            "2025-12-01T20:00:00.000Z");
}

TEST_F(TaskRunnerTest, ImmediatePollIsHeldForTheSmallestStep) {
  slices_.outcomes.emplace_back(running(milliseconds(0)));
  runner().handle(task_message());
  ASSERT_EQ(publisher_.published.size(), 1U);
  EXPECT_EQ(publisher_.published[0].routing_key, "genesys-bulk.delay.1s");
}

TEST_F(TaskRunnerTest, MoreToLandGoesBackToTheWorkQueueAtOnce) {
  slices_.outcomes.emplace_back(more_to_land());
  const Handled h = runner().handle(task_message(1));
  EXPECT_EQ(h.action, Action::kContinued);
  ASSERT_EQ(publisher_.published.size(), 1U);
  EXPECT_EQ(publisher_.published[0].routing_key, "genesys-bulk");
  EXPECT_EQ(header_int(publisher_.published[0].message, "retries"), 1);
  EXPECT_EQ(find_field(publisher_.published[0].message.headers, "eta_ms"), nullptr);
}

TEST_F(TaskRunnerTest, FailedPublishMeansNoAck) {
  slices_.outcomes.emplace_back(running(seconds(5)));
  publisher_.fail = true;
  const Handled h = runner().handle(task_message());
  EXPECT_EQ(h.disposition, Disposition::kRequeue);
  EXPECT_EQ(h.action, Action::kHandedBack);
}

TEST_F(TaskRunnerTest, EtaInTheFutureIsParkedWithoutRunning) {
  Message m = task_message();
  m.headers.emplace_back("eta_ms", kNowMs + 40'000);
  const Handled h = runner().handle(m);
  EXPECT_EQ(h.action, Action::kParked);
  EXPECT_EQ(h.disposition, Disposition::kAck);
  EXPECT_TRUE(slices_.seen.empty());
  ASSERT_EQ(publisher_.published.size(), 1U);
  EXPECT_EQ(publisher_.published[0].routing_key, "genesys-bulk.delay.15s");
  EXPECT_EQ(header_int(publisher_.published[0].message, "eta_ms"), kNowMs + 40'000);  // its target is kept
  EXPECT_EQ(header_int(publisher_.published[0].message, "retries"), 0);
}

TEST_F(TaskRunnerTest, EtaReachedRuns) {
  slices_.outcomes.emplace_back(finished());
  Message m = task_message();
  m.headers.emplace_back("eta_ms", kNowMs - 10);
  EXPECT_EQ(runner().handle(m).action, Action::kSucceeded);
}

TEST_F(TaskRunnerTest, ExpiredTaskIsRevokedAndDeadLettered) {
  Message m = task_message();
  m.headers.emplace_back("expires_ms", kNowMs - 1);
  const Handled h = runner().handle(m);
  EXPECT_EQ(h.action, Action::kRevoked);
  EXPECT_EQ(h.disposition, Disposition::kAck);
  EXPECT_TRUE(slices_.seen.empty());
  const DeadLetter d = only_dead_letter();
  EXPECT_EQ(d.error_kind, "expired");
  ASSERT_EQ(results_.stored.size(), 1U);
  EXPECT_EQ(results_.stored[0].state, TaskState::kRevoked);
  EXPECT_NE(results_.stored[0].result_json.find(R"("exc_type":"TaskRevokedError")"), std::string::npos);
}

TEST_F(TaskRunnerTest, ExpiredTaskWithoutDeadLettersIsOnlyRevoked) {
  settings_.dead_letter_expired = false;
  Message m = task_message();
  m.headers.emplace_back("expires_ms", kNowMs - 1);
  EXPECT_EQ(runner().handle(m).action, Action::kRevoked);
  EXPECT_TRUE(publisher_.published.empty());
  ASSERT_EQ(results_.stored.size(), 1U);
  EXPECT_EQ(results_.stored[0].state, TaskState::kRevoked);
}

TEST_F(TaskRunnerTest, TransientFailureIsRetriedThroughTheLadder) {
  Error e = transient_error("service unavailable");
  e.http_status = 503;
  slices_.outcomes.emplace_back(e);
  const Handled h = runner().handle(task_message(1));
  EXPECT_EQ(h.action, Action::kRetried);
  EXPECT_EQ(h.disposition, Disposition::kAck);
  ASSERT_EQ(publisher_.published.size(), 1U);
  const auto& p = publisher_.published[0];
  EXPECT_EQ(header_int(p.message, "retries"), 2);
  EXPECT_EQ(header_int(p.message, "eta_ms"), kNowMs + 4'000);  // highest jitter: 2 s * 2^1
  EXPECT_EQ(p.routing_key, "genesys-bulk.delay.1s");
  ASSERT_EQ(results_.stored.size(), 1U);
  EXPECT_EQ(results_.stored[0].state, TaskState::kRetry);
}

TEST_F(TaskRunnerTest, RetryHonoursRetryAfter) {
  Error e = transient_error("slow down");
  e.http_status = 429;
  e.retry_after = seconds(90);
  slices_.outcomes.emplace_back(e);
  runner().handle(task_message());
  ASSERT_EQ(publisher_.published.size(), 1U);
  EXPECT_EQ(header_int(publisher_.published[0].message, "eta_ms"), kNowMs + 90'000);
  EXPECT_EQ(publisher_.published[0].routing_key, "genesys-bulk.delay.1m");
}

TEST_F(TaskRunnerTest, RetryStoreFailureDoesNotUndoTheRetry) {
  slices_.outcomes.emplace_back(transient_error("reset"));
  results_.fail_states = {TaskState::kRetry};
  const Handled h = runner().handle(task_message());
  EXPECT_EQ(h.disposition, Disposition::kAck);
  EXPECT_EQ(h.action, Action::kRetried);
}

TEST_F(TaskRunnerTest, AfterMaxRetriesTheTaskIsDeadLettered) {
  Error e = transient_error("service unavailable");
  e.http_status = 503;
  e.correlation_id = "inin-1";
  slices_.outcomes.emplace_back(e);
  Message m = task_message(3);
  m.headers.emplace_back(std::string(kFirstSeenHeader), "2025-12-01T20:00:00.000Z");
  const Handled h = runner().handle(m);
  EXPECT_EQ(h.action, Action::kDeadLettered);
  EXPECT_EQ(h.disposition, Disposition::kAck);
  const DeadLetter d = only_dead_letter();
  EXPECT_EQ(d.task_id, "task-1");
  EXPECT_EQ(d.task_name, kTask);
  EXPECT_EQ(d.job_id, "job-1");
  EXPECT_EQ(d.job_type, "users");
  EXPECT_EQ(d.retries, 3);
  EXPECT_EQ(d.http_status, 503);
  EXPECT_EQ(d.correlation_id, "inin-1");
  EXPECT_EQ(d.error_kind, "max retries");
  EXPECT_NE(d.reason.find("service unavailable"), std::string::npos);
  EXPECT_EQ(d.worker_host, "host-a");
  EXPECT_EQ(d.worker_pid, 4242);
  EXPECT_EQ(d.queue, "genesys-bulk");
  EXPECT_EQ(d.first_seen, FakeTaskCodec::at(1'764'619'200'000));  // 20:00, from the header
  EXPECT_EQ(d.last_seen, wall_);
  EXPECT_EQ(find_field(d.original.headers, "x-death"), nullptr);
  ASSERT_EQ(results_.stored.size(), 1U);
  EXPECT_EQ(results_.stored[0].state, TaskState::kFailure);
  EXPECT_EQ(d.args_json, R"(["job-1","users"])");  // minified on the way back
  EXPECT_EQ(d.kwargs_json, "{}");
  EXPECT_NE(results_.stored[0].result_json.find(R"("exc_type":"MaxRetriesExceededError")"), std::string::npos);
  EXPECT_NE(results_.stored[0].result_json.find(R"("exc_module":"celery.exceptions")"), std::string::npos);
}

TEST_F(TaskRunnerTest, PermanentFailureIsDeadLetteredAtOnce) {
  Error e = permanent_error("job not found");
  e.http_status = 404;
  slices_.outcomes.emplace_back(e);
  const Handled h = runner().handle(task_message());
  EXPECT_EQ(h.action, Action::kDeadLettered);
  const DeadLetter d = only_dead_letter();
  EXPECT_EQ(d.error_kind, "permanent");
  EXPECT_EQ(d.http_status, 404);
  ASSERT_EQ(results_.stored.size(), 1U);
  EXPECT_EQ(results_.stored[0].state, TaskState::kFailure);
  // Python's get() raises with the reason.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(results_.stored[0].result_json)).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["exc_type"]), "RuntimeError");
  EXPECT_EQ(std::string_view(doc["exc_module"]), "builtins");
  EXPECT_EQ(std::string_view(doc["exc_message"].at(0)), "permanent: HTTP 404: job not found");
}

TEST_F(TaskRunnerTest, BadArgumentsRaiseTypeError) {
  slices_.outcomes.emplace_back(invalid_input("job_id is missing"));
  runner().handle(task_message());
  ASSERT_EQ(results_.stored.size(), 1U);
  EXPECT_NE(results_.stored[0].result_json.find(R"("exc_type":"TypeError","exc_message":["invalid input)"),
            std::string::npos)
      << results_.stored[0].result_json;
}

TEST_F(TaskRunnerTest, DeadLetterPublishFailureMeansNoAck) {
  slices_.outcomes.emplace_back(permanent_error("nope"));
  publisher_.fail = true;
  EXPECT_EQ(runner().handle(task_message()).disposition, Disposition::kRequeue);
  EXPECT_TRUE(results_.stored.empty());
}

TEST_F(TaskRunnerTest, FailureStoreFailureMeansNoAck) {
  slices_.outcomes.emplace_back(permanent_error("nope"));
  results_.fail_states = {TaskState::kFailure};
  EXPECT_EQ(runner().handle(task_message()).disposition, Disposition::kRequeue);
}

TEST_F(TaskRunnerTest, UnknownTaskIsDeadLetteredAsNotRegistered) {
  Message m = task_message();
  m.headers[1].second = "somebody.elses_task";
  const Handled h = runner().handle(m);
  EXPECT_EQ(h.action, Action::kDeadLettered);
  EXPECT_TRUE(slices_.seen.empty());
  EXPECT_EQ(only_dead_letter().error_kind, "unknown task");
  ASSERT_EQ(results_.stored.size(), 1U);
  EXPECT_NE(results_.stored[0].result_json.find("NotRegistered"), std::string::npos);
}

TEST_F(TaskRunnerTest, UndecodableMessageIsDeadLetteredWithItsBytes) {
  Message m;
  m.body = std::string("\x80\x04garbage", 9);
  m.content_type = "application/x-python-serialize";
  m.headers = {{"poison", true}};
  const Handled h = runner().handle(m);
  EXPECT_EQ(h.action, Action::kDeadLettered);
  EXPECT_EQ(h.disposition, Disposition::kAck);
  const DeadLetter d = only_dead_letter();
  EXPECT_EQ(d.error_kind, "undecodable");
  EXPECT_EQ(d.original.body, m.body);
  EXPECT_FALSE(d.args_json.has_value());
  EXPECT_TRUE(results_.stored.empty());
}

TEST_F(TaskRunnerTest, InterruptedSliceIsHandedBackUncounted) {
  slices_.outcomes.emplace_back(interrupted_error("stopping"));
  const Handled h = runner().handle(task_message());
  EXPECT_EQ(h.disposition, Disposition::kRequeue);
  EXPECT_TRUE(publisher_.published.empty());
  EXPECT_TRUE(results_.stored.empty());
}

// The soft limit is a real cancellation: the slice sees it at its next safe
// point and ends kInterrupted, which the runner counts as a retryable failure.
TEST_F(TaskRunnerTest, SoftLimitCancelsTheSliceAndIsRetried) {
  settings_.limits.soft = milliseconds(50);
  slices_.outcomes.emplace_back(interrupted_error("cancelled"));
  bool cancelled = false;
  slices_.on_run = [&](const SliceLimits& limits) { cancelled = limits.cancel->wait_for(seconds(20)); };
  const Handled h = runner().handle(task_message());
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(h.action, Action::kRetried);
  EXPECT_NE(h.detail.find("soft time limit of 50 ms exceeded"), std::string::npos) << h.detail;
  ASSERT_EQ(publisher_.published.size(), 1U);
  EXPECT_EQ(header_int(publisher_.published[0].message, "retries"), 1);
}

TEST_F(TaskRunnerTest, SoftLimitFromTheMessageWinsOverTheFlag) {
  settings_.limits.soft = seconds(300);
  slices_.outcomes.emplace_back(interrupted_error("cancelled"));
  bool cancelled = false;
  slices_.on_run = [&](const SliceLimits& limits) { cancelled = limits.cancel->wait_for(seconds(20)); };
  Message m = task_message();
  m.headers.emplace_back("timelimit", FieldArray{FieldValue(), 0.05});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(runner().handle(m).action, Action::kRetried);
  EXPECT_TRUE(cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));
}

TEST_F(TaskRunnerTest, SoftLimitNotReachedLeavesTheSliceAlone) {
  settings_.limits.soft = seconds(300);
  slices_.outcomes.emplace_back(finished());
  bool cancelled = true;
  slices_.on_run = [&](const SliceLimits& limits) { cancelled = limits.cancel->wait_for(milliseconds(50)); };
  EXPECT_EQ(runner().handle(task_message()).action, Action::kSucceeded);
  EXPECT_FALSE(cancelled);
}

TEST_F(TaskRunnerTest, TheSliceEndsBeforeTheHardLimit) {
  settings_.limits.hard = seconds(100);
  slices_.outcomes.emplace_back(more_to_land());
  EXPECT_EQ(runner().handle(task_message()).action, Action::kContinued);  // a continuation, not a failure
  EXPECT_EQ(slices_.seen_limits.at(0).deadline, clock_.now() + seconds(80));
}

// rabbitmq-c answers heartbeats only from inside a call: during a long slice
// another thread services the connections, and stops before the runner
// publishes.
TEST_F(TaskRunnerTest, ConnectionsAreServicedWhileASliceRuns) {
  std::atomic<int> serviced{0};
  runner().set_connection_service([&] { ++serviced; }, milliseconds(10));
  slices_.outcomes.emplace_back(more_to_land());
  slices_.on_run = [](const SliceLimits&) { std::this_thread::sleep_for(milliseconds(200)); };
  runner().handle(task_message());
  const int after = serviced.load();
  EXPECT_GE(after, 3);
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(serviced.load(), after);
}

TEST_F(TaskRunnerTest, StartedIsStoredOnceWhenTracked) {
  settings_.track_started = true;
  slices_.outcomes.emplace_back(running(seconds(5)));
  runner().handle(task_message());
  ASSERT_EQ(results_.stored.size(), 1U);
  EXPECT_EQ(results_.stored[0].state, TaskState::kStarted);
  EXPECT_EQ(results_.stored[0].result_json, R"({"pid":4242,"hostname":"host-a"})");
  // The continuation carries the first-seen header: no second STARTED.
  const Message continuation = publisher_.published.at(0).message;
  slices_.outcomes.emplace_back(finished());
  wall_ += seconds(6);
  runner().handle(continuation);
  ASSERT_EQ(results_.stored.size(), 2U);
  EXPECT_EQ(results_.stored[1].state, TaskState::kSuccess);
}

TEST_F(TaskRunnerTest, HardLimitComesFromTheMessageOrTheFlag) {
  settings_.limits.hard = seconds(600);
  EXPECT_EQ(runner().hard_limit(task_message()), seconds(600));
  Message m = task_message();
  m.headers.emplace_back("timelimit", FieldArray{90.0, FieldValue()});
  EXPECT_EQ(runner().hard_limit(m), seconds(90));
  Message poison;
  poison.headers = {{"poison", true}};
  EXPECT_EQ(runner().hard_limit(poison), seconds(600));
}

}  // namespace
}  // namespace gb::worker
