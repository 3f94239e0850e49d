#include "celery/results.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "celery/iso_time.hpp"
#include "golden.hpp"

namespace gb::celery {
namespace {

using testing::golden_results;

constexpr const char* kTraceback =
    "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nRuntimeError: HTTP 404: job not found\n";

// What our worker would store for each case make_golden.py recorded.
TaskResult ours_for(const std::string& name, const std::string& task_id) {
  TaskException runtime;
  if (name == "success") {
    return success_result(task_id, R"({"job_id": "job-1", "job_type": "users", "state": "FULFILLED", "chunks": 3, )"
                                   R"("records": 100000, "quarantined": 0, "duration_s": 12.5})");
  }
  if (name == "failure") {
    runtime.message = "HTTP 404: job not found";
    return failure_result(task_id, runtime, kTraceback);
  }
  if (name == "retry") {
    runtime.message = "HTTP 503: try again (attempt 1)";
    return retry_result(task_id, runtime, kTraceback);
  }
  if (name == "started") return started_result(task_id, 4242, "celery@worker-1");
  if (name == "revoked") return revoked_result(task_id);
  runtime.message = "caf\xc3\xa9 \"x\" \\ \xe6\x97\xa5";
  return failure_result(task_id, runtime);
}

std::chrono::system_clock::time_point golden_now(const std::string& date_done) {
  return parse_iso_time(date_done).value().at;
}

TEST(Results, RpcBodiesAndPropertiesMatchPython) {
  int checked = 0;
  for (const auto& golden : golden_results()) {
    if (golden.backend != "rpc") continue;
    SCOPED_TRACE(golden.name);
    TaskResult r = ours_for(golden.name.substr(4), golden.task_id);
    EXPECT_EQ(to_string(r.state), golden.state);
    EXPECT_EQ(rpc_result_body(r), golden.body);
    const Message m = rpc_result_message(r, golden.message.correlation_id);
    EXPECT_EQ(m.body, golden.body);
    EXPECT_EQ(m.correlation_id, golden.message.correlation_id);
    EXPECT_EQ(m.content_type, golden.message.content_type);
    EXPECT_EQ(m.content_encoding, golden.message.content_encoding);
    EXPECT_EQ(m.persistent, golden.message.persistent);
    EXPECT_EQ(m.priority, golden.message.priority);
    EXPECT_TRUE(m.reply_to.empty());
    EXPECT_TRUE(m.headers.empty());
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST(Results, RedisValuesMatchPython) {
  int checked = 0;
  for (const auto& golden : golden_results()) {
    if (golden.backend != "redis") continue;
    SCOPED_TRACE(golden.name);
    const std::string name = golden.name.substr(6);
    TaskResult r = ours_for(name, golden.task_id);
    if (name == "success") {
      r.parent_id = "parent-1";
      r.group_id = "group-1";
    }
    EXPECT_EQ(redis_result_key(golden.task_id), golden.key);
    EXPECT_EQ(redis_result_value(r, golden_now(golden.date_done)), golden.body);
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST(Results, DateDoneIsTheResultsOwnWhenSet) {
  TaskResult r = success_result("t", "1");
  r.date_done = parse_iso_time("2026-01-02T03:04:05").value().at;
  EXPECT_EQ(redis_result_value(r, std::chrono::system_clock::time_point{}),
            R"({"status": "SUCCESS", "result": 1, "traceback": null, "children": [], )"
            R"("date_done": "2026-01-02T03:04:05", "task_id": "t"})");
}

TEST(Results, DecodesPythonsDocuments) {
  for (const auto& golden : golden_results()) {
    SCOPED_TRACE(golden.name);
    auto r = decode_result(golden.body);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->task_id, golden.task_id);
    EXPECT_EQ(to_string(r->state), golden.state);
    const std::string name = golden.name.substr(golden.backend.size() + 1);
    TaskResult expected = ours_for(name, golden.task_id);
    EXPECT_EQ(r->result_json, expected.result_json);
    EXPECT_EQ(r->traceback, expected.traceback);
    if (golden.backend == "redis" && is_ready(r->state)) {
      EXPECT_EQ(r->date_done, golden_now(golden.date_done));
    }
    if (is_exception_state(r->state)) {
      auto e = decode_exception(r->result_json);
      ASSERT_TRUE(e.ok()) << e.error().message;
      EXPECT_EQ(exception_json(*e), r->result_json);
    }
  }
}

TEST(Results, DescribesExceptions) {
  EXPECT_EQ(decode_exception(R"({"exc_type": "RuntimeError", "exc_message": ["boom"], "exc_module": "builtins"})")
                ->describe(),
            "RuntimeError: boom");
  EXPECT_EQ(revoked_result("t").result_json,
            R"({"exc_type": "TaskRevokedError", "exc_message": ["expired"], "exc_module": "celery.exceptions"})");
  EXPECT_EQ(decode_exception(revoked_result("t").result_json)->describe(),
            "celery.exceptions.TaskRevokedError: expired");
  auto odd = decode_exception(R"({"exc_type": "HTTPError", "exc_message": [404, "nope"], "exc_module": "x"})");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->message, R"([404,"nope"])");
  EXPECT_EQ(decode_exception(R"({"exc_type": "E", "exc_message": "plain"})")->message, "plain");
  EXPECT_FALSE(decode_exception(R"({"exc_message": []})").ok());
}

TEST(Results, RefusesDocumentsThatAreNotResults) {
  EXPECT_FALSE(decode_result("nope").ok());
  EXPECT_FALSE(decode_result("[]").ok());
  EXPECT_FALSE(decode_result(R"({"task_id": "t"})").ok());
  EXPECT_FALSE(decode_result(R"({"status": "DONE"})").ok());
  EXPECT_FALSE(decode_result(R"({"status": "SUCCESS", "date_done": "yesterday"})").ok());
}

TEST(Results, StatesAsCeleryNamesThem) {
  for (auto s : {TaskState::kPending, TaskState::kReceived, TaskState::kStarted, TaskState::kSuccess,
                 TaskState::kFailure, TaskState::kRetry, TaskState::kRevoked}) {
    EXPECT_EQ(parse_state(to_string(s)), s);
  }
  EXPECT_EQ(to_string(TaskState::kSuccess), "SUCCESS");
  EXPECT_TRUE(is_ready(TaskState::kRevoked));
  EXPECT_FALSE(is_ready(TaskState::kRetry));
  EXPECT_TRUE(is_exception_state(TaskState::kRetry));
  EXPECT_FALSE(is_exception_state(TaskState::kStarted));
  EXPECT_FALSE(parse_state("success").has_value());
}

}  // namespace
}  // namespace gb::celery
