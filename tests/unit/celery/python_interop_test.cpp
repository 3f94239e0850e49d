// Python Celery 5.2 (Debian's python3-celery) reads what we write: our result
// documents through its backends' decode (exception_to_python rebuilds real
// exceptions), and our task messages against as_task_v2 given the same
// fields (argsrepr/kwargsrepr recomputed by Python's saferepr). Skipped only
// where that Python is missing (a developer's machine); CI has it.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "celery/detail/saferepr.hpp"
#include "celery/python_json.hpp"
#include "celery/results.hpp"
#include "celery/task_message.hpp"

namespace gb::celery {
namespace {

namespace fs = std::filesystem;

// Debian's interpreter, which has python3-celery: a pyenv python3 earlier
// on PATH would not.
constexpr const char* kPython = "/usr/bin/python3";

class PythonInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string probe = std::string(kPython) + " -c 'import celery' >/dev/null 2>&1";
    if (std::system(probe.c_str()) != 0) GTEST_SKIP() << kPython << " with celery is not installed";
    std::string pattern = (fs::temp_directory_path() / "gb-celery-interop-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Runs python_check.py MODE on `input`; its output lines.
  std::vector<std::string> run(const std::string& mode, const std::string& input) {
    const fs::path in = dir_ / "in.json";
    const fs::path out = dir_ / "out.txt";
    std::ofstream(in, std::ios::binary) << input;
    const std::string command = std::string(kPython) + " " + GB_SOURCE_DIR +
                                "/tests/unit/celery/data/python_check.py " + mode + " " + in.string() + " >" +
                                out.string() + " 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream result(out);
    std::vector<std::string> lines;
    for (std::string line; std::getline(result, line);) lines.push_back(line);
    std::ostringstream all;
    for (const auto& l : lines) all << l << "\n";
    EXPECT_EQ(status, 0) << all.str();
    return lines;
  }

  fs::path dir_;
};

// A header value as JSON Python loads with the same type (floats keep a dot).
std::string header_json(const FieldValue& v) {
  if (v.is_void()) return "null";
  if (const bool* b = v.as_bool()) return *b ? "true" : "false";
  if (const std::int64_t* i = v.as_int()) return std::to_string(*i);
  if (const double* d = v.as_double()) return detail::python_float_repr(*d);
  if (const std::string* s = v.as_string()) return python_json_string(*s);
  std::vector<std::string> items;
  if (const FieldArray* a = v.as_array()) {
    for (const auto& item : *a) items.push_back(header_json(item));
  }
  return python_json_array(items);
}

std::string message_json(const Message& m) {
  std::vector<std::string> headers;
  for (const auto& [key, value] : m.headers)
    headers.push_back(python_json_array({python_json_string(key), header_json(value)}));
  return python_json_object(
      {{"headers", python_json_array(headers)},
       {"properties", python_json_object({{"correlation_id", python_json_string(m.correlation_id)},
                                          {"reply_to", python_json_string(m.reply_to)}})},
       {"body", python_json_string(m.body)}});
}

TEST_F(PythonInterop, PythonRaisesOurFailuresAndReadsOurResults) {
  TaskException runtime;
  runtime.message = "HTTP 404: job not found (correlation abc)";
  TaskException value_error;
  value_error.type = "ValueError";
  value_error.message = "caf\xc3\xa9 \"quoted\" \\ \xf0\x9f\x98\x80\nsecond line";
  struct Case {
    TaskResult result;
    std::string expected;
  };
  std::vector<Case> cases = {
      {success_result("t1", R"({"job_id": "j", "records": 100000, "duration_s": 1.5})"),
       R"(SUCCESS {"job_id": "j", "records": 100000, "duration_s": 1.5})"},
      {failure_result("t2", runtime, "Traceback: ..."),
       R"x(FAILURE builtins.RuntimeError ["HTTP 404: job not found (correlation abc)"])x"},
      {failure_result("t3", value_error),
       R"(FAILURE builtins.ValueError ["caf\u00e9 \"quoted\" \\ \ud83d\ude00\nsecond line"])"},
      {retry_result("t4", runtime), R"x(RETRY builtins.RuntimeError ["HTTP 404: job not found (correlation abc)"])x"},
      {revoked_result("t5"), R"(REVOKED celery.exceptions.TaskRevokedError ["expired"])"},
      {started_result("t6", 77, "genesys-bulk@host"), R"(STARTED {"pid": 77, "hostname": "genesys-bulk@host"})"},
  };
  std::vector<std::string> docs;
  std::vector<std::string> expected;
  for (const auto& c : cases) {
    docs.push_back(
        python_json_object({{"backend", "\"rpc\""}, {"body", python_json_string(rpc_result_body(c.result))}}));
    expected.push_back(c.expected);
    docs.push_back(python_json_object(
        {{"backend", "\"redis\""},
         {"body", python_json_string(redis_result_value(c.result, std::chrono::system_clock::now()))}}));
    expected.push_back(c.expected);
  }
  EXPECT_EQ(run("results", python_json_array(docs)), expected);
}

TEST_F(PythonInterop, OurTaskMessagesAreWhatAsTaskV2Builds) {
  std::vector<TaskRequest> tasks;
  TaskRequest plain;
  plain.task = "bulk_processor.process_bulk_job_task";
  plain.id = "3b5c1d2e-0f9a-4b8c-8d7e-6f5a4b3c2d1e";
  plain.args_json = python_json_array({python_json_string("job-1"), python_json_string("users")});
  plain.origin = "genesys-bulk@host";
  plain.reply_to = "reply-q";
  tasks.push_back(plain);

  TaskRequest full = plain;
  full.task = "bulk_processor.submit_bulk_job";
  full.args_json = python_json_array(
      {python_json_string("it's caf\xc3\xa9 \xf0\x9f\x98\x80"), "-7.5e-07", "1e+16", "123.0", "true", "null"});
  full.kwargs_json = python_json_object(
      {{"query", R"({"interval": "2026-11-01T00:00:00Z/2026-11-02T00:00:00Z", "n": [1, [2, [3, [4]]]]})"},
       {"long", python_json_string(std::string(700, 'x') + " " + std::string(700, 'y'))}});
  full.retries = 2;
  full.eta = parse_iso_time("2026-12-01T23:05:07.123456+00:00").value();
  full.expires = parse_iso_time("2026-12-02T00:00:00-05:30").value();
  full.time_limit = 300;
  full.soft_time_limit = 240.5;
  full.root_id = "root-1";
  full.parent_id = "parent-1";
  full.group = "group-1";
  full.group_index = 2;
  full.shadow = "shadowed";
  full.ignore_result = true;
  tasks.push_back(full);

  TaskRequest many_args = plain;
  std::vector<std::string> items;
  for (int i = 0; i < 300; ++i) items.push_back(python_json_string("arg number " + std::to_string(i)));
  many_args.args_json = python_json_array(items);
  tasks.push_back(many_args);

  std::vector<std::string> docs;
  for (const auto& t : tasks) docs.push_back(message_json(encode_task(t)));
  const auto lines = run("tasks", python_json_array(docs));
  ASSERT_EQ(lines.size(), tasks.size());
  for (const auto& line : lines) EXPECT_EQ(line, "ok");
}

}  // namespace
}  // namespace gb::celery
