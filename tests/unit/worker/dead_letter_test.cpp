#include "worker/dead_letter.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "worker/detail/base64.hpp"
#include "worker/detail/iso_time.hpp"

namespace gb::worker {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Message celery_message() {
  Message m;
  m.body = R"([["job-1","users"],{},{"callbacks":null}])";
  m.content_type = "application/json";
  m.content_encoding = "utf-8";
  m.correlation_id = "task-1";
  m.reply_to = "reply.q";
  m.priority = 3;
  m.headers = {{"lang", "py"},
               {"task", "bulk_processor.process_bulk_job_task"},
               {"id", "task-1"},
               {"eta", FieldValue()},
               {"expires", "2026-12-01T00:00:00+00:00"},
               {"retries", 3},
               {"timelimit", FieldArray{FieldValue(), 30.0}},
               {"ignore_result", false},
               {"binary", std::string("\xff\xfe\x00z", 4)},
               {"nested", FieldTable{{"a", 1.5}, {"b", FieldArray{1, "x"}}}},
               {"x-death", FieldArray{FieldTable{{"count", 1}}}},
               {std::string(kFirstSeenHeader), "2026-12-01T10:00:00.000Z"}};
  return m;
}

DeadLetter letter() {
  DeadLetter d;
  d.task_id = "task-1";
  d.task_name = "bulk_processor.process_bulk_job_task";
  d.args_json = R"(["job-1", "users"])";
  d.kwargs_json = R"({"priority": 2})";
  d.job_id = "job-1";
  d.job_type = "users";
  d.reason = "permanent: HTTP 404: job \"job-1\" not found";
  d.error_kind = "permanent";
  d.http_status = 404;
  d.correlation_id = "abc-123";
  d.retries = 3;
  d.first_seen = WallTime(milliseconds(1'764'583'200'123));
  d.last_seen = WallTime(milliseconds(1'764'586'800'456));
  d.worker_host = "host-a";
  d.worker_pid = 4242;
  d.queue = "genesys-bulk";
  d.original = celery_message();
  return d;
}

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    const std::string encoded = detail::base64_encode(bytes);
    EXPECT_EQ(encoded.size() % 4, 0U);
    EXPECT_EQ(detail::base64_decode(encoded), bytes);
    bytes.push_back(static_cast<char>(n * 37));
  }
  EXPECT_EQ(detail::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(detail::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(detail::base64_decode("Zm8"), std::nullopt);
  EXPECT_EQ(detail::base64_decode("Zm=8"), std::nullopt);
  EXPECT_EQ(detail::base64_decode("Zm8=Zm8="), std::nullopt);
  EXPECT_EQ(detail::base64_decode("Z!8="), std::nullopt);
}

TEST(IsoTime, WritesAndReadsUtcMilliseconds) {
  const WallTime t(milliseconds(1'764'630'307'123));
  EXPECT_EQ(detail::format_utc_ms(t), "2025-12-01T23:05:07.123Z");
  EXPECT_EQ(detail::parse_utc_ms("2025-12-01T23:05:07.123Z"), t);
  EXPECT_EQ(detail::parse_utc_ms("2025-12-01T23:05:07Z"), t - milliseconds(123));
  EXPECT_EQ(detail::parse_utc_ms("2025-12-01T23:05:07.123+00:00"), t);
  EXPECT_EQ(detail::parse_utc_ms("2025-12-01T23:05:07.123 UTC"), std::nullopt);
  EXPECT_EQ(detail::parse_utc_ms("2025-02-30T23:05:07Z"), std::nullopt);
  EXPECT_EQ(detail::parse_utc_ms(""), std::nullopt);
}

TEST(DeadLetter, IsValidJsonWithTheDiagnostics) {
  const std::string json = to_json(letter());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(json)).get(doc), simdjson::SUCCESS) << json;
  EXPECT_EQ(std::string_view(doc["task_id"]), "task-1");
  EXPECT_EQ(std::int64_t(doc["http_status"]), 404);
  EXPECT_EQ(std::string_view(doc["first_seen"]), "2025-12-01T10:00:00.123Z");
  EXPECT_EQ(std::string_view(doc["worker"]["host"]), "host-a");
  EXPECT_EQ(std::string_view(doc["args"].at(1)), "users");
  EXPECT_EQ(std::string_view(doc["message"]["headers"]["binary"]["$bytes"]),
            detail::base64_encode(std::string_view("\xff\xfe\x00z", 4)));
  EXPECT_DOUBLE_EQ(double(doc["message"]["headers"]["timelimit"].at(1)), 30.0);
}

TEST(DeadLetter, ParsesBackWhatItWrote) {
  const DeadLetter original = letter();
  auto parsed = parse_dead_letter(to_json(original));
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  const DeadLetter& d = *parsed;
  EXPECT_EQ(d.task_id, original.task_id);
  EXPECT_EQ(d.task_name, original.task_name);
  EXPECT_EQ(d.args_json, R"(["job-1","users"])");
  EXPECT_EQ(d.kwargs_json, R"({"priority":2})");
  EXPECT_EQ(d.job_id, "job-1");
  EXPECT_EQ(d.job_type, "users");
  EXPECT_EQ(d.reason, original.reason);
  EXPECT_EQ(d.error_kind, "permanent");
  EXPECT_EQ(d.http_status, 404);
  EXPECT_EQ(d.correlation_id, "abc-123");
  EXPECT_EQ(d.retries, 3);
  EXPECT_EQ(d.first_seen, original.first_seen);
  EXPECT_EQ(d.last_seen, original.last_seen);
  EXPECT_EQ(d.worker_host, "host-a");
  EXPECT_EQ(d.worker_pid, 4242);
  EXPECT_EQ(d.queue, "genesys-bulk");
  EXPECT_FALSE(d.body_truncated);
  // The original message comes back exactly: types of header values included.
  EXPECT_EQ(d.original.body, original.original.body);
  EXPECT_EQ(d.original.headers, original.original.headers);
  EXPECT_EQ(d.original.correlation_id, "task-1");
  EXPECT_EQ(d.original.reply_to, "reply.q");
  EXPECT_EQ(d.original.content_type, "application/json");
  EXPECT_EQ(d.original.priority, std::optional<std::uint8_t>(3));
  EXPECT_TRUE(d.original.persistent);
}

TEST(DeadLetter, KeepsAnUndecodableMessage) {
  DeadLetter d;
  d.task_id = "";
  d.reason = "invalid input: body is not JSON";
  d.error_kind = "undecodable";
  d.queue = "genesys-bulk";
  d.original.body = std::string("\x00\x01not json\xff", 11);
  d.original.content_type = "application/x-python-serialize";
  const std::string json = to_json(d);
  auto parsed = parse_dead_letter(json);
  ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
  EXPECT_FALSE(parsed->args_json.has_value());
  EXPECT_FALSE(parsed->kwargs_json.has_value());
  EXPECT_EQ(parsed->original.body, d.original.body);
}

TEST(DeadLetter, CutsHugeBodiesAndRefusesToReplayThem) {
  DeadLetter d = letter();
  d.original.body.assign(kMaxStoredBody + 10, 'x');
  auto parsed = parse_dead_letter(to_json(d));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->body_truncated);
  EXPECT_EQ(parsed->original.body.size(), kMaxStoredBody);
  EXPECT_FALSE(replay_message(*parsed).ok());
}

TEST(DeadLetter, RefusesGarbage) {
  for (const char* bad : {"", "[]", "{}", "not json", R"({"version":2,"task_id":"t","reason":"r","queue":"q"})",
                          R"({"version":1,"task_id":"t","reason":"r","queue":"q"})",
                          R"({"version":1,"task_id":"t","reason":"r","queue":"q","message":{"body_base64":"!"}})",
                          R"({"version":1,"task_id":"t","reason":"r","queue":"q","message":[]})"}) {
    EXPECT_FALSE(parse_dead_letter(bad).ok()) << bad;
  }
  const std::string deep =
      R"({"version":1,"task_id":"t","reason":"r","queue":"q","message":{"body_base64":"","headers":{"a":)" +
      std::string(100, '[') + std::string(100, ']') + "}}}";
  EXPECT_FALSE(parse_dead_letter(deep).ok());
}

TEST(DeadLetter, KeepsArgumentsThatAreNotJsonAsText) {
  DeadLetter d = letter();
  d.args_json = "[1, 2";
  auto parsed = parse_dead_letter(to_json(d));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->args_json, R"("[1, 2")");
}

TEST(DeadLetter, PublishesAsPersistentJson) {
  const Message m = dead_letter_message(letter());
  EXPECT_EQ(m.content_type, "application/json");
  EXPECT_EQ(m.message_id, "task-1");
  EXPECT_TRUE(m.persistent);
  EXPECT_TRUE(parse_dead_letter(m.body).ok());
  EXPECT_EQ(dead_letter_queue("genesys-bulk"), "genesys-bulk.dlq");
}

TEST(DeadLetter, ReplaysTheOriginalWithItsRetriesReset) {
  auto replay = replay_message(letter());
  ASSERT_TRUE(replay.ok()) << replay.error().describe();
  const Message& m = *replay;
  EXPECT_EQ(m.body, celery_message().body);
  EXPECT_EQ(*find_field(m.headers, "retries")->as_int(), 0);
  EXPECT_TRUE(find_field(m.headers, "eta")->is_void());
  EXPECT_TRUE(find_field(m.headers, "expires")->is_void());
  EXPECT_EQ(find_field(m.headers, "x-death"), nullptr);
  EXPECT_EQ(find_field(m.headers, kFirstSeenHeader), nullptr);
  EXPECT_EQ(*find_field(m.headers, "task")->as_string(), "bulk_processor.process_bulk_job_task");
  EXPECT_EQ(m.correlation_id, "task-1");
  EXPECT_EQ(m.reply_to, "reply.q");
  EXPECT_TRUE(m.persistent);
}

TEST(DeadLetter, DoesNotReplayProtocolOneHere) {
  DeadLetter d = letter();
  d.original.headers.clear();
  d.original.body = R"({"task":"t","id":"task-1","args":[],"kwargs":{},"retries":3})";
  EXPECT_FALSE(replay_message(d).ok());
}

}  // namespace
}  // namespace gb::worker
