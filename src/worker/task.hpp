#pragma once
// A task as the worker's state machine needs it, and the codec that turns
// broker messages into tasks and back. celery/ owns the wire format (v1 and
// v2); app/ adapts its TaskRequest to this interface (the fields below are a
// subset of celery::TaskRequest's, with eta/expires as instants), so the
// worker's logic is tested without it.
#include <chrono>
#include <optional>
#include <string>

#include "base/message.hpp"
#include "base/result.hpp"
#include "worker/delay_ladder.hpp"

namespace gb::worker {

struct Task {
  std::string id;    // validated by the codec (base/ids.hpp's is_valid_id or a UUID)
  std::string name;  // "bulk_processor.process_bulk_job_task", ...
  int retries = 0;
  std::optional<WallTime> eta;         // do not run before
  std::optional<WallTime> expires;     // do not run after
  std::optional<double> hard_limit_s;  // `timelimit` header [hard, soft], seconds
  std::optional<double> soft_limit_s;
  std::string reply_to;        // rpc:// results go there ("" = none)
  std::string correlation_id;  // rpc:// results carry it (Celery: the task id)
  bool ignore_result = false;
  std::string args_json = "[]";    // raw JSON as the producer wrote it (the codec checked: an array)
  std::string kwargs_json = "{}";  // likewise, an object
};

// Contract: decode never throws and never trusts the message (bounded sizes,
// validated ids); an Error means the message can never be a task (not JSON,
// unknown shape, bad id): it goes to the dead letters. Thread-safe.
class TaskCodec {
 public:
  virtual ~TaskCodec() = default;
  virtual Result<Task> decode(const Message& message) const = 0;
  // A new message for the same task (what Celery's Task.retry publishes): the
  // original's id, arguments, reply_to and correlation_id, with `retries` and
  // `eta` replaced; persistent; dead-lettering headers (x-death) dropped;
  // other headers of the original kept.
  virtual Result<Message> reschedule(const Message& original, int retries, std::optional<WallTime> eta) const = 0;
};

}  // namespace gb::worker
