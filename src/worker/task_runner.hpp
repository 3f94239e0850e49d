#pragma once
// One delivery, one decision (issue 7, items 2, 4, 5, 6, 9): the task-slice
// state machine of a worker process.
//
//   undecodable             -> dead letter, ack
//   expired                 -> REVOKED result (+ dead letter), ack
//   eta in the future       -> parked on the delay ladder, ack
//   unknown task name       -> dead letter + FAILURE, ack
//   run one slice:
//     finished              -> SUCCESS {"job_id", ...}, ack
//     job running           -> continuation after next_poll via the ladder, ack
//     more to land          -> continuation at once (the work queue), ack
//     soft limit (cancelled)-> as a transient failure
//     transient failure     -> re-published with retries + 1 after a backoff
//                              (RETRY result), ack; beyond --max-retries:
//     permanent failure     -> dead letter + FAILURE, ack
//     interrupted (stopping)-> handed back (reject with requeue): warm shutdown
//
// Delivery contract: every publish (continuation, retry, dead letter, rpc://
// result) is confirmed by the broker before the caller acks; when one fails
// the answer is kRequeue and the caller must not ack (the broker redelivers
// it, and a slice run twice is harmless: SliceRunner is idempotent). So the
// broker gives at-least-once; never exactly-once. A continuation keeps the
// task id, retries, reply_to and correlation_id and is not a retry, so the
// producer sees one result, at the end.
//
// Not thread-safe: one per worker process, like its Publisher.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "base/clock.hpp"
#include "base/message.hpp"
#include "worker/dead_letter.hpp"
#include "worker/delay_ladder.hpp"
#include "worker/ports.hpp"
#include "worker/retry_policy.hpp"
#include "worker/task.hpp"
#include "worker/time_limits.hpp"

namespace gb::worker {

struct RunnerSettings {
  TimeLimitSettings limits;
  bool dead_letter_expired = true;  // issue 7: an expired task also goes to the dead letters
  bool track_started = false;       // Celery's task_track_started: store STARTED before a first slice
  std::string worker_host;          // for dead letters
  std::int64_t worker_pid = 0;
};

using WallClock = std::function<WallTime()>;

struct Handled {
  enum class Disposition { kAck, kRequeue };
  enum class Action {
    kSucceeded,
    kRevoked,
    kParked,     // eta in the future
    kContinued,  // job running or more to land
    kRetried,
    kDeadLettered,
    kHandedBack,  // kRequeue: interrupted, or a publish/store failed
  };
  Disposition disposition = Disposition::kAck;
  Action action = Action::kHandedBack;
  std::string task_id;
  std::string detail;  // one line for the log: reason, queue, delay
};
const char* to_string(Handled::Action action);

class TaskRunner {
 public:
  // Every reference must outlive the runner. The work queue, whose ladder and
  // dead letters are named after it, is the ladder's.
  TaskRunner(RunnerSettings settings, const TaskCodec& codec, SliceRunner& slices, Publisher& publisher,
             ResultBackend& results, const RetryPolicy& retry, const DelayLadder& ladder, const Clock& clock,
             WallClock wall);

  // Called every `interval` from another thread while a slice runs (see
  // SliceWatch): the consumer's pump() and the publisher's keep_alive().
  void set_connection_service(std::function<void()> service, std::chrono::milliseconds interval);

  // Never throws for anything a message holds.
  Handled handle(const Message& message);
  // A delivery the consumer could not read whole: straight to the dead letters.
  Handled dead_letter_unreadable(const Message& message, const std::string& reason);

  // The hard limit to arm around handle() for this message (nullopt: none):
  // decodes the message's timelimit header; falls back to the flag.
  std::optional<std::chrono::milliseconds> hard_limit(const Message& message) const;

 private:
  Handled run(const Task& task, const Message& message, WallTime first_seen);
  Handled after_failure(const Task& task, const Message& message, const Error& error, WallTime first_seen);
  // Re-publishes the task (retries, eta) to the ladder step its eta needs,
  // or to the work queue when due.
  Handled later(const Task& task, const Message& message, int retries, std::optional<WallTime> eta,
                Handled::Action action, std::string detail, WallTime first_seen);
  Handled dead_letter(const Task* task, const Message& message, const Error& error, std::string error_kind,
                      WallTime first_seen, std::string_view exc_type, std::string_view exc_module,
                      TaskState state = TaskState::kFailure);
  Status store(const Task& task, TaskState state, const std::string& result_json);

  RunnerSettings settings_;
  const TaskCodec& codec_;
  SliceRunner& slices_;
  Publisher& publisher_;
  ResultBackend& results_;
  const RetryPolicy& retry_;
  const DelayLadder& ladder_;
  const Clock& clock_;
  WallClock wall_;
  std::function<void()> service_;
  std::chrono::milliseconds service_interval_{5'000};
};

}  // namespace gb::worker
