#pragma once
// Celery task messages (protocol 2, and protocol 1 as older producers and
// other languages send it) to and from gb::Message. Pure: no I/O, no clock.
// See /work/shared/spec/celery-wire.md and Celery's celery/app/amqp.py
// (as_task_v2, as_task_v1) and celery/worker/strategy.py (hybrid_to_proto2).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/message.hpp"
#include "base/result.hpp"
#include "celery/iso_time.hpp"

namespace gb::celery {

inline constexpr std::size_t kMaxBodyBytes = std::size_t{1} << 20;  // 1 MiB: our tasks carry ids and a query
inline constexpr std::size_t kMaxTaskNameBytes = 255;
inline constexpr std::size_t kMaxHeaderTextBytes =
    16384;  // argsrepr (1024 characters of UTF-8, escaped), origin, shadow
inline constexpr std::int64_t kMaxRetries = 1'000'000;
inline constexpr std::size_t kMaxExtraHeaders = 64;

enum class Protocol { kV1 = 1, kV2 = 2 };

// The embed Celery's producer writes when there is no canvas.
inline constexpr const char* kEmptyEmbed = R"({"callbacks": null, "errbacks": null, "chain": null, "chord": null})";

// One task as a worker sees it. Empty strings and nullopt are Python's None.
// args/kwargs/embed are raw JSON text as the producer wrote it (decode checks
// that args is an array, kwargs an object, embed an object or null).
struct TaskRequest {
  Protocol protocol = Protocol::kV2;  // what it arrived as; encode_task always writes v2
  std::string task;                   // the task's name, e.g. "bulk_processor.process_bulk_job_task"
  std::string id;                     // the task id (valid per is_valid_task_id)
  std::int64_t retries = 0;
  std::optional<IsoTime> eta;
  std::optional<IsoTime> expires;
  std::optional<double> time_limit;       // hard, seconds (timelimit[0])
  std::optional<double> soft_time_limit;  // seconds (timelimit[1])
  std::string root_id;                    // encode writes `id` when empty, as Celery does
  std::string parent_id;
  std::string group;
  std::optional<std::int64_t> group_index;
  std::string shadow;
  std::string origin;  // the producer's node name ("gen<pid>@<host>" from Python)
  bool ignore_result = false;
  std::string argsrepr;    // encode computes it (Python's saferepr) when empty
  std::string kwargsrepr;  // likewise
  std::string args_json = "[]";
  std::string kwargs_json = "{}";
  std::string embed_json = kEmptyEmbed;
  FieldTable extra_headers;  // headers Celery does not define, kept for re-publishing, in order

  // Properties.
  std::string correlation_id;  // encode writes `id` when empty
  std::string reply_to;        // the producer's rpc:// reply queue; empty: none
  std::uint8_t priority = 0;   // AMQP's 0 (what Celery sends by default) when the message has none

  friend bool operator==(const TaskRequest&, const TaskRequest&) = default;
};

// Reads a task from a broker message: protocol 2 when the `task` header is
// there, protocol 1 otherwise. Accepts content type application/json (with
// any parameters) in UTF-8, at most kMaxBodyBytes. Every error is
// kPermanent (the message will never decode, so it belongs in the dead
// letters) with a one-line reason that quotes at most a little of the input,
// e.g. "content type 'application/x-python-serialize' is not supported; send JSON".
Result<TaskRequest> decode_task(const Message& message);

// The protocol-2 message Python Celery 5.2's as_task_v2 + send_task_message
// would publish for `task`: the same headers in the same order (None as
// void, timelimit as an array, integral limits as ints), body
// "[args, kwargs, embed]" with Python's separators, content type
// application/json, encoding utf-8, persistent, priority 0 unless set.
// Does not validate `task`.
Message encode_task(const TaskRequest& task);

}  // namespace gb::celery
