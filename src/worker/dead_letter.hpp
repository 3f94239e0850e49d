#pragma once
// Dead letters (issue 7, item 6): a JSON diagnostic per task the worker gave
// up on, published to the durable `<queue>.dlq` (genesys-bulk.dlq), with the
// original message inside so that `genesys-bulk dlq replay` can send it again.
//
// Document (version 1), one JSON object:
//   {"version":1, "task_id", "task_name", "args", "kwargs", "job_id",
//    "job_type", "reason", "error_kind", "http_status", "correlation_id",
//    "retries", "first_seen", "last_seen", "worker": {"host", "pid"},
//    "queue", "message": {"body_base64", "body_truncated", "content_type",
//    "content_encoding", "correlation_id", "reply_to", "message_id",
//    "priority", "persistent", "headers"}}
// "correlation_id" at the top is the API's (ININ-Correlation-Id, for a
// support ticket); the task's own is the message's. Times are UTC
// "YYYY-MM-DDTHH:MM:SS.mmmZ". args/kwargs are the task's JSON values (a
// string holding the text if it is not valid JSON), null when the message
// could not be decoded. Headers use detail/field_json.hpp's typed mapping.
//
// Pure; thread-safe.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/message.hpp"
#include "base/result.hpp"
#include "worker/delay_ladder.hpp"

namespace gb::worker {

// The dead-letter queue of a work queue: "genesys-bulk" -> "genesys-bulk.dlq".
std::string dead_letter_queue(std::string_view work_queue);

// The header carrying when a task was first seen by a worker, kept across
// retries and continuations (Celery ignores headers it does not know).
inline constexpr std::string_view kFirstSeenHeader = "gb_first_seen";
// Bodies beyond this are kept cut short (and cannot be replayed).
inline constexpr std::size_t kMaxStoredBody = std::size_t{1} << 20;

struct DeadLetter {
  std::string task_id;  // "" when the message had none readable
  std::string task_name;
  std::optional<std::string> args_json;  // raw JSON; nullopt: undecodable message
  std::optional<std::string> kwargs_json;
  std::string job_id;
  std::string job_type;
  std::string reason;      // one line: "permanent: HTTP 404: job not found"
  std::string error_kind;  // "permanent", "transient", "invalid input", "expired", ...
  int http_status = 0;     // of the last failure, 0 = none
  std::string correlation_id;
  int retries = 0;
  WallTime first_seen;
  WallTime last_seen;
  std::string worker_host;
  std::int64_t worker_pid = 0;
  std::string queue;  // the work queue the task came from: where a replay goes
  Message original;
  bool body_truncated = false;  // read back: the stored body was cut at kMaxStoredBody
};

std::string to_json(const DeadLetter& letter);
// Refuses documents over 4 MiB, other versions and missing required fields
// (task_id, reason, queue, message) with kInvalidInput.
Result<DeadLetter> parse_dead_letter(std::string_view json);

// The message published to the dead-letter queue: the JSON document,
// persistent, message_id = the task id (what `dlq show ID` looks for).
Message dead_letter_message(const DeadLetter& letter);

// The original message made ready to run again: retries 0, no eta, no
// expires, no first-seen or x-death headers. Celery protocol 2 only (the
// `task` header present): a v1 message keeps its retries in the body, so it
// is kInvalidInput here; app/ re-encodes one through TaskCodec::reschedule.
// A truncated body cannot be replayed (kInvalidInput).
Result<Message> replay_message(const DeadLetter& letter);

}  // namespace gb::worker
