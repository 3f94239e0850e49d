#pragma once
// What the task state machine talks to, as small interfaces: app/ plugs in
// amqp/'s confirmed publisher, celery/'s result backends (rpc://, redis://)
// and the pipeline; the unit tests plug in fakes.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/message.hpp"
#include "base/result.hpp"
#include "base/stop.hpp"
#include "worker/task.hpp"

namespace gb::worker {

// One message taken from the work queue, not yet acknowledged.
struct Delivery {
  std::uint64_t tag = 0;
  bool redelivered = false;
  std::string exchange;
  std::string routing_key;
  Message message;
  // Set when the message could not be taken in whole (a body over the
  // consumer's limit, dropped unread): it goes to the dead letters with this
  // reason and whatever headers it had.
  std::optional<std::string> unreadable;
};

// Contract: the consumer of the work queue (basic.qos prefetch, acks late).
// next_delivery returns nullopt when nothing came within `timeout`, an Error
// when the connection is gone (the caller reconnects or exits: unacked
// deliveries are redelivered by the broker). Not thread-safe.
class Consumer {
 public:
  virtual ~Consumer() = default;
  virtual Result<std::optional<Delivery>> next_delivery(std::chrono::milliseconds timeout) = 0;
  virtual Status ack(std::uint64_t tag) = 0;
  virtual Status reject(std::uint64_t tag, bool requeue) = 0;
};

// Contract: publish returns Ok only once the broker has confirmed the
// message (publisher confirms); a nack, a return (unroutable, mandatory) or a
// closed connection is an Error, after which the caller must not ack the
// message it is handling. Not thread-safe (one per connection).
class Publisher {
 public:
  virtual ~Publisher() = default;
  virtual Status publish(std::string_view exchange, std::string_view routing_key, const Message& message) = 0;
};

// Celery's task states as they travel.
enum class TaskState { kStarted, kRetry, kSuccess, kFailure, kRevoked };
const char* to_string(TaskState state);  // "STARTED", "RETRY", ...

// Contract: store returns Ok once the result is durable where the producer
// reads it (rpc://: a confirmed publish to reply_to with correlation_id;
// redis://: SETEX + PUBLISH of celery-task-meta-<id>). `result_json` is the
// document's "result" member, already JSON. An rpc:// backend does nothing
// and returns Ok when reply_to is empty. Not thread-safe.
class ResultBackend {
 public:
  virtual ~ResultBackend() = default;
  virtual Status store(std::string_view task_id, TaskState state, std::string_view result_json,
                       std::string_view reply_to, std::string_view correlation_id) = 0;
};

// What a task's slice ended with (the pipeline's SliceOutcome, flattened).
struct SliceResult {
  enum class Kind {
    kFinished,    // the job is final and every record has landed
    kJobRunning,  // the job is not finished on the API's side: poll again after next_poll
    kMoreToLand,  // the slice ended (deadline, stop) with chunks left: go on at once
  };
  Kind kind = Kind::kFinished;
  std::chrono::milliseconds next_poll{0};
  // The summary Python's AsyncResult.get() returns: the job's totals (from
  // the store's ledger, not only this slice's) when kFinished.
  std::string job_id;
  std::string job_type;
  std::string state;  // the job's final state
  std::uint64_t chunks = 0;
  std::uint64_t records = 0;
  std::uint64_t quarantined = 0;
  double duration_s = 0;  // ignored: the runner reports the time since the task was first seen
};

// What the pipeline's SliceLimits take, one to one.
struct SliceLimits {
  SteadyTime deadline;                 // no new download or wait after it: kMoreToLand
  const StopSignal* cancel = nullptr;  // this slice's soft time limit: end at the next safe point (kInterrupted)
};

struct JobRef {
  std::string job_id;  // "" when not known (a submit that has not created its job)
  std::string job_type;
};

// Contract: run_slice does one bounded piece of a task's work and never
// holds it past limits.deadline by more than one safe point (a chunk being
// landed finishes; none is half-written). It is idempotent: run again with the
// same task (a redelivery, a continuation) it resumes from the store's
// ledger and never creates a second job for one task id. Bad or missing
// arguments are a kInvalidInput Error (Python's get() raises TypeError).
// Errors keep the server's retry_after. kInterrupted when limits.cancel or
// the process's stop (the pipeline's own) was requested: what landed is
// committed, the rest resumes from the ledger.
// Not thread-safe (one per worker process).
class SliceRunner {
 public:
  virtual ~SliceRunner() = default;
  virtual bool handles(std::string_view task_name) const = 0;
  virtual Result<SliceResult> run_slice(const Task& task, const SliceLimits& limits) = 0;
  // The job a task is about, as far as its arguments (or the store) tell,
  // for dead letters. Never fails ("" when unknown).
  virtual JobRef job_ref(const Task& task) = 0;
};

}  // namespace gb::worker
