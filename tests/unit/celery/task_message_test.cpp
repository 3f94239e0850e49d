#include "celery/task_message.hpp"

#include <gtest/gtest.h>

#include <string>

#include "golden.hpp"

namespace gb::celery {
namespace {

using testing::find_task;
using testing::golden_tasks;

Message json_message(std::string body, FieldTable headers = {}) {
  Message m;
  m.content_type = "application/json";
  m.content_encoding = "utf-8";
  m.body = std::move(body);
  m.headers = std::move(headers);
  return m;
}

FieldTable v2_headers(std::string id = "task-1") {
  return FieldTable{{"lang", "py"},          {"task", "bulk_processor.process_bulk_job_task"},      {"id", id},
                    {"retries", 0},          {"timelimit", FieldArray{FieldValue{}, FieldValue{}}}, {"root_id", id},
                    {"ignore_result", false}};
}

constexpr const char* kBody =
    R"([["job-1", "users"], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}])";

// The reason decode_task gives, or "" when it decodes.
std::string decode_error(const Message& m) {
  auto task = decode_task(m);
  if (task.ok()) return "";
  EXPECT_EQ(task.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(task.error().message.find('\n'), std::string::npos) << task.error().message;
  EXPECT_LT(task.error().message.size(), 300U) << task.error().message;
  return task.error().message;
}

TEST(DecodeTask, ReadsPythonsProtocol2Positional) {
  const auto golden = golden_tasks();
  auto task = decode_task(find_task(golden, "v2_positional").message);
  ASSERT_TRUE(task.ok()) << task.error().message;
  EXPECT_EQ(task->protocol, Protocol::kV2);
  EXPECT_EQ(task->task, "bulk_processor.process_bulk_job_task");
  EXPECT_EQ(task->id, "5e1f0c2a-9b8d-4e7f-a6c5-3d2b1a0f9e8d");
  EXPECT_EQ(task->root_id, task->id);
  EXPECT_EQ(task->correlation_id, task->id);
  EXPECT_EQ(task->reply_to, "c3a1b2d4-0000-3333-8888-feedfacecafe");
  EXPECT_EQ(task->retries, 0);
  EXPECT_FALSE(task->eta.has_value());
  EXPECT_FALSE(task->expires.has_value());
  EXPECT_FALSE(task->time_limit.has_value());
  EXPECT_FALSE(task->soft_time_limit.has_value());
  EXPECT_EQ(task->origin, "gen4242@producer-host");
  EXPECT_EQ(task->args_json, R"(["8d3c2a9e-5f0b-4a77-9c1d-2b8e6f4a1c35", "users"])");
  EXPECT_EQ(task->kwargs_json, "{}");
  EXPECT_EQ(task->embed_json, kEmptyEmbed);
  EXPECT_EQ(task->argsrepr, "['8d3c2a9e-5f0b-4a77-9c1d-2b8e6f4a1c35', 'users']");
  EXPECT_TRUE(task->extra_headers.empty());
  EXPECT_EQ(task->priority, 0);
}

TEST(DecodeTask, ReadsPythonsKwargsTimesAndLimits) {
  const auto golden = golden_tasks();
  auto task = decode_task(find_task(golden, "v2_kwargs_times").message);
  ASSERT_TRUE(task.ok()) << task.error().message;
  EXPECT_EQ(task->task, "bulk_processor.submit_bulk_job");
  EXPECT_EQ(task->args_json, "[]");
  EXPECT_EQ(task->kwargs_json,
            R"({"job_type": "conversations", "query": {"interval": "2026-11-01T00:00:00Z/2026-11-02T00:00:00Z", )"
            R"("limit": 1000, "ratio": 0.25, "flags": [true, false, null]}})");
  ASSERT_TRUE(task->eta.has_value());
  EXPECT_EQ(format_iso_time(*task->eta), "2026-12-01T23:05:07.123456+00:00");
  ASSERT_TRUE(task->expires.has_value());
  EXPECT_EQ(format_iso_time(*task->expires), "2026-12-02T00:00:00+00:00");
  EXPECT_EQ(task->time_limit, 300.0);
  EXPECT_EQ(task->soft_time_limit, 240.5);
  EXPECT_EQ(task->reply_to, "reply-queue-1");
}

TEST(DecodeTask, ReadsOffsetsUnicodeAndOneSidedLimits) {
  const auto golden = golden_tasks();
  auto task = decode_task(find_task(golden, "v2_offset_unicode").message);
  ASSERT_TRUE(task.ok()) << task.error().message;
  ASSERT_TRUE(task->eta.has_value());
  EXPECT_EQ(task->eta->offset, std::chrono::minutes{120});
  EXPECT_EQ(task->expires->offset, std::chrono::minutes{-330});
  EXPECT_FALSE(task->time_limit.has_value());
  EXPECT_EQ(task->soft_time_limit, 60.0);
  EXPECT_EQ(task->args_json.substr(0, 40), R"(["caf\u00e9 \u65e5\u672c \ud83d\ude00", )");
}

TEST(DecodeTask, ReadsRetriesFamilyAndPriority) {
  const auto golden = golden_tasks();
  auto task = decode_task(find_task(golden, "v2_retry_family").message);
  ASSERT_TRUE(task.ok()) << task.error().message;
  EXPECT_EQ(task->retries, 2);
  EXPECT_EQ(task->root_id, "root-1");
  EXPECT_EQ(task->parent_id, "parent-1");
  EXPECT_EQ(task->group, "group-1");
  EXPECT_EQ(task->group_index, 3);
  EXPECT_EQ(task->shadow, "shadow-name");
  EXPECT_TRUE(task->ignore_result);
  EXPECT_EQ(task->priority, 5);
  EXPECT_EQ(task->argsrepr, "('job-9', 'users')");  // Python's tuple, kept as sent
}

TEST(DecodeTask, ReadsProtocol1) {
  const auto golden = golden_tasks();
  const auto& v1 = find_task(golden, "v1_positional");
  ASSERT_EQ(v1.protocol, 1);
  auto task = decode_task(v1.message);
  ASSERT_TRUE(task.ok()) << task.error().message;
  EXPECT_EQ(task->protocol, Protocol::kV1);
  EXPECT_EQ(task->task, "bulk_processor.process_bulk_job_task");
  EXPECT_EQ(task->id, "v1-task-1");
  EXPECT_EQ(task->args_json, R"(["job-v1", "users"])");
  EXPECT_EQ(task->kwargs_json, R"({"extra": 1})");
  EXPECT_EQ(task->retries, 1);
  EXPECT_EQ(task->time_limit, 100.0);
  EXPECT_EQ(task->soft_time_limit, 90.0);
  EXPECT_EQ(format_iso_time(*task->eta), "2026-12-01T23:05:07+00:00");
  EXPECT_EQ(task->reply_to, "reply-v1");
  EXPECT_EQ(task->embed_json, kEmptyEmbed);
  EXPECT_TRUE(task->argsrepr.empty());

  // Re-published, it is the protocol-2 message of the same task.
  auto again = decode_task(encode_task(*task));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->protocol, Protocol::kV2);
  EXPECT_EQ(again->args_json, task->args_json);
  EXPECT_EQ(again->argsrepr, "['job-v1', 'users']");
  EXPECT_EQ(again->kwargsrepr, "{'extra': 1}");
  EXPECT_EQ(again->eta, task->eta);
  EXPECT_EQ(again->retries, 1);
}

// Decoding a Python message and encoding it again gives Python's message
// back, header by header, byte by byte.
TEST(EncodeTask, MatchesPythonsMessagesFieldByField) {
  for (const auto& golden : golden_tasks()) {
    if (golden.protocol != 2) continue;
    SCOPED_TRACE(golden.name);
    auto task = decode_task(golden.message);
    ASSERT_TRUE(task.ok()) << task.error().message;
    const Message ours = encode_task(*task);
    ASSERT_EQ(ours.headers.size(), golden.message.headers.size());
    for (std::size_t i = 0; i < ours.headers.size(); ++i) {
      EXPECT_EQ(ours.headers[i].first, golden.message.headers[i].first);
      EXPECT_EQ(ours.headers[i].second, golden.message.headers[i].second) << ours.headers[i].first;
    }
    EXPECT_EQ(ours.body, golden.message.body);
    EXPECT_EQ(ours.correlation_id, golden.message.correlation_id);
    EXPECT_EQ(ours.reply_to, golden.message.reply_to);
    EXPECT_EQ(ours.content_type, golden.message.content_type);
    EXPECT_EQ(ours.content_encoding, golden.message.content_encoding);
    EXPECT_EQ(ours.persistent, golden.message.persistent);
    EXPECT_EQ(ours.priority, golden.message.priority);
  }
}

// argsrepr and kwargsrepr computed by us equal Python's saferepr (list form:
// our args are a JSON array), including its cut at 1024 characters and
// "{...}" past three levels.
TEST(EncodeTask, ComputesArgsreprAsPythonDoes) {
  for (const auto& golden : golden_tasks()) {
    if (golden.protocol != 2 || golden.name == "v2_retry_family") continue;  // that one sent a tuple
    SCOPED_TRACE(golden.name);
    auto task = decode_task(golden.message);
    ASSERT_TRUE(task.ok());
    const std::string argsrepr = task->argsrepr;
    const std::string kwargsrepr = task->kwargsrepr;
    task->argsrepr.clear();
    task->kwargsrepr.clear();
    const Message ours = encode_task(*task);
    const std::string golden_argsrepr = argsrepr == "()" ? "[]" : argsrepr;  // Python's empty default is a tuple
    EXPECT_EQ(*find_field(ours.headers, "argsrepr")->as_string(), golden_argsrepr);
    EXPECT_EQ(*find_field(ours.headers, "kwargsrepr")->as_string(), kwargsrepr);
  }
}

TEST(EncodeTask, RoundTripsEveryField) {
  TaskRequest x;
  x.task = "bulk_processor.submit_bulk_job";
  x.id = "6f1c2a9e-0b7d-4c55-9a51-2b7b0f3c9d11";
  x.retries = 3;
  x.eta = parse_iso_time("2026-12-01T23:05:07.123456+00:00").value();
  x.expires = parse_iso_time("2026-12-02T04:05:07-05:00").value();
  x.time_limit = 600;
  x.soft_time_limit = 540.25;
  x.root_id = "root";
  x.parent_id = "parent";
  x.group = "group";
  x.group_index = 0;
  x.shadow = "shadow";
  x.origin = "genesys-bulk@worker-1";
  x.ignore_result = true;
  x.argsrepr = "['users']";
  x.kwargsrepr = "{'query': {...}}";
  x.args_json = R"(["users"])";
  x.kwargs_json = R"({"query": {"a": [1, 2.5, "x"]}})";
  x.embed_json = R"({"callbacks": [{"task": "x"}], "errbacks": null, "chain": null, "chord": null})";
  x.extra_headers = {{"x-genesys-continuation", 2}, {"stamps", FieldTable{{"k", "v"}}}};
  x.correlation_id = "corr";
  x.reply_to = "reply";
  x.priority = 7;
  auto y = decode_task(encode_task(x));
  ASSERT_TRUE(y.ok()) << y.error().message;
  EXPECT_EQ(*y, x);

  TaskRequest minimal;
  minimal.task = "t";
  minimal.id = "i";
  auto z = decode_task(encode_task(minimal));
  ASSERT_TRUE(z.ok()) << z.error().message;
  minimal.root_id = "i";  // as Celery: the root of a task without one is itself
  minimal.correlation_id = "i";
  minimal.argsrepr = "[]";
  minimal.kwargsrepr = "{}";
  EXPECT_EQ(*z, minimal);
}

TEST(EncodeTask, WritesIntegralLimitsAsIntsAndOthersAsFloats) {
  TaskRequest x;
  x.task = "t";
  x.id = "i";
  x.time_limit = 30;
  x.soft_time_limit = 12.5;
  const Message m = encode_task(x);
  const FieldArray* limit = find_field(m.headers, "timelimit")->as_array();
  ASSERT_NE(limit, nullptr);
  ASSERT_EQ(limit->size(), 2U);
  EXPECT_EQ((*limit)[0], FieldValue(std::int64_t{30}));
  EXPECT_EQ((*limit)[1], FieldValue(12.5));
}

TEST(DecodeTask, AcceptsJsonWithParametersAndAnyCase) {
  Message m = json_message(kBody, v2_headers());
  m.content_type = "Application/JSON; charset=utf-8";
  m.content_encoding = "UTF8";
  EXPECT_EQ(decode_error(m), "");
  m.content_encoding = "";
  EXPECT_EQ(decode_error(m), "");
}

TEST(DecodeTask, SplitsBodiesWithAnyWhitespace) {
  auto task = decode_task(json_message(" [ [1, \"a,]\" ] ,\n\t{\"k\" : {\"x\": [1]}} , null ] ", v2_headers()));
  ASSERT_TRUE(task.ok()) << task.error().message;
  EXPECT_EQ(task->args_json, R"([1, "a,]" ])");
  EXPECT_EQ(task->kwargs_json, R"({"k" : {"x": [1]}})");
  EXPECT_EQ(task->embed_json, "null");
}

TEST(DecodeTask, AcceptsAnyIntegerWidthAndVoids) {
  FieldTable h = v2_headers();
  h.emplace_back("eta", FieldValue{});
  h.emplace_back("group_index", FieldValue{});
  h[3].second = FieldValue{std::int64_t{4}};                      // retries
  h[4].second = FieldArray{FieldValue{std::int64_t{120}}, 90.5};  // timelimit
  auto task = decode_task(json_message(kBody, h));
  ASSERT_TRUE(task.ok()) << task.error().message;
  EXPECT_EQ(task->retries, 4);
  EXPECT_EQ(task->time_limit, 120.0);
  EXPECT_EQ(task->soft_time_limit, 90.5);
}

TEST(DecodeTask, RefusesOtherContentTypesWithAClearReason) {
  Message m = json_message(kBody, v2_headers());
  m.content_type = "application/x-python-serialize";
  EXPECT_EQ(decode_error(m), "content type 'application/x-python-serialize' is not supported; send JSON");
  m.content_type = "application/x-yaml";
  EXPECT_EQ(decode_error(m), "content type 'application/x-yaml' is not supported; send JSON");
  m.content_type = "";
  EXPECT_EQ(decode_error(m), "message has no content type; send JSON (application/json)");
  m.content_type = "application/json";
  m.content_encoding = "binary";
  EXPECT_EQ(decode_error(m), "content encoding 'binary' is not supported; send UTF-8 JSON");
  m.content_encoding = "utf-8";
  m.headers.emplace_back("compression", "application/x-gzip");
  EXPECT_EQ(decode_error(m), "compressed messages ('application/x-gzip') are not supported; send JSON uncompressed");
}

TEST(DecodeTask, RefusesBodiesOverTheLimit) {
  std::string body = "[[\"" + std::string(kMaxBodyBytes, 'x') + "\"], {}, null]";
  EXPECT_EQ(decode_error(json_message(body, v2_headers())),
            "message body is " + std::to_string(body.size()) + " bytes, over the limit of 1048576");
}

TEST(DecodeTask, SaysWhatIsWrongWithTheBody) {
  const FieldTable h = v2_headers();
  EXPECT_EQ(decode_error(json_message("not json", h)).rfind("message body is not valid JSON: ", 0), 0U);
  EXPECT_EQ(decode_error(json_message("[\"\xff\"]", h)), "message body is not valid UTF-8");
  EXPECT_EQ(decode_error(json_message("[[], {}]", h)),
            "message body must be the JSON array [args, kwargs, embed] (protocol 2)");
  EXPECT_EQ(decode_error(json_message(R"({"args": []})", h)),
            "message body must be the JSON array [args, kwargs, embed] (protocol 2)");
  EXPECT_EQ(decode_error(json_message(R"(["a", {}, null])", h)),
            "args (the body's first element) must be a JSON array");
  EXPECT_EQ(decode_error(json_message(R"([[], [], null])", h)),
            "kwargs (the body's second element) must be a JSON object");
  EXPECT_EQ(decode_error(json_message(R"([[], {}, 3])", h)), "embed (the body's third element) must be a JSON object");
  EXPECT_EQ(decode_error(json_message(R"([1, 2])", {})),
            "message has no task header and its body is not a JSON object (neither protocol 2 nor 1)");
  EXPECT_EQ(decode_error(json_message(R"({"task": "t", "id": "i", "args": {}})", {})), "args must be a JSON array");
  EXPECT_EQ(decode_error(json_message(R"({"task": "t", "id": "i", "kwargs": []})", {})),
            "kwargs must be a JSON object");
}

TEST(DecodeTask, SaysWhatIsWrongWithTheHeaders) {
  auto with = [](const char* key, FieldValue value) {
    FieldTable h = v2_headers();
    bool replaced = false;
    for (auto& [k, v] : h) {
      if (k == key) {
        v = value;
        replaced = true;
      }
    }
    if (!replaced) h.emplace_back(key, std::move(value));
    return json_message(kBody, h);
  };
  EXPECT_EQ(decode_error(with("id", FieldValue{})), "task id is missing");
  EXPECT_EQ(decode_error(with("id", "a b")), "task id 'a b' is not a valid id (1-255 visible ASCII characters)");
  EXPECT_EQ(decode_error(with("id", 42)), "id must be a string or null");
  EXPECT_EQ(decode_error(with("task", "")), "task name is missing");
  EXPECT_EQ(decode_error(with("task", FieldValue{})), "task name is missing");
  EXPECT_EQ(decode_error(with("task", std::string(300, 't'))).rfind("task name 'tttt", 0), 0U);
  EXPECT_EQ(decode_error(with("retries", -1)), "retries -1 is out of range");
  EXPECT_EQ(decode_error(with("retries", "1")), "retries must be an integer");
  EXPECT_EQ(decode_error(with("retries", 1.0)), "retries must be an integer");
  EXPECT_EQ(decode_error(with("eta", "tomorrow")).rfind("eta: not an ISO 8601 time", 0), 0U);
  EXPECT_EQ(decode_error(with("expires", 5)), "expires must be an ISO 8601 string or null");
  EXPECT_EQ(decode_error(with("timelimit", 5)), "timelimit must be [hard, soft], each a number of seconds or null");
  EXPECT_EQ(decode_error(with("timelimit", FieldArray{1})),
            "timelimit must be [hard, soft], each a number of seconds or null");
  EXPECT_EQ(decode_error(with("timelimit", FieldArray{1, "x"})),
            "timelimit must be [hard, soft], each a number of seconds or null");
  EXPECT_EQ(decode_error(with("timelimit", FieldArray{-1, FieldValue{}})), "timelimit must hold non-negative numbers");
  EXPECT_EQ(decode_error(with("parent_id", "x\ny")),
            "parent_id 'x\\x0ay' is not a valid id (1-255 visible ASCII characters)");
  EXPECT_EQ(decode_error(with("ignore_result", "yes")), "ignore_result must be true or false");
  EXPECT_EQ(decode_error(with("group_index", "1")), "group_index must be an integer or null");
  EXPECT_EQ(decode_error(with("argsrepr", std::string(20000, 'a'))),
            "argsrepr is 20000 bytes, over the limit of 16384");

  Message m = json_message(kBody, v2_headers());
  m.reply_to = "queue\r\nx";
  EXPECT_EQ(decode_error(m), "reply_to 'queue\\x0d\\x0ax' is not valid (at most 255 visible ASCII characters)");
  m = json_message(kBody, v2_headers());
  for (int i = 0; i < 65; ++i) m.headers.emplace_back("x-" + std::to_string(i), i);
  EXPECT_EQ(decode_error(m), "message has more than 64 headers Celery does not define");
}

TEST(DecodeTask, KeepsUnknownHeadersInOrder) {
  FieldTable h = v2_headers();
  h.emplace_back("x-b", 1);
  h.emplace_back("x-a", FieldArray{"z"});
  auto task = decode_task(json_message(kBody, h));
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task->extra_headers, (FieldTable{{"x-b", 1}, {"x-a", FieldArray{"z"}}}));
}

}  // namespace
}  // namespace gb::celery
