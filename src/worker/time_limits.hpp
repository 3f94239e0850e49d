#pragma once
// Time limits per task slice (issue 7, item 7).
//
// Soft: a cancellation requested when it passes (SliceWatch); downloads,
// waits and the landing loop see it at their next safe point (no chunk
// half-written), and the runner counts it as a retryable failure.
// Hard: a kernel timer armed by the child around each slice delivers SIGKILL.
// Why SIGKILL from a timer in the child, not SIGALRM or the supervisor:
// SIGKILL cannot be caught, blocked or ignored by any thread or library (a
// SIGALRM is lost if every thread blocks it, and curl or a future handler
// might install one); the kernel fires it even when the child is stuck in a
// system call or its event loop is wedged; and the supervisor needs no
// per-task bookkeeping or IPC. A killed child's connection closes, so
// RabbitMQ redelivers its unacked message (reject on worker lost, for free),
// and the supervisor replaces the child. The timer covers the slice, the
// publishes and the ack: a slice killed after its continuation was confirmed
// but before its ack runs twice, which the ledger makes harmless.
#include <chrono>
#include <ctime>
#include <optional>

#include "worker/task.hpp"

namespace gb::worker {

struct TimeLimitSettings {
  std::chrono::milliseconds task_slice{std::chrono::minutes(5)};  // --task-slice
  std::optional<std::chrono::milliseconds> soft;                  // --soft-time-limit
  std::optional<std::chrono::milliseconds> hard;                  // --time-limit
};

struct SliceTimes {
  std::chrono::milliseconds budget{0};            // the slice's deadline (a continuation), from its start
  std::optional<std::chrono::milliseconds> soft;  // cancel the slice then (a retryable failure)
  std::optional<std::chrono::milliseconds> hard;  // arm the kernel timer with this
};

// The message's `timelimit` [hard, soft] wins over the flags (as in Celery);
// non-positive or non-finite values mean "none". The budget is the task
// slice, kept under 4/5 of the hard limit so that a healthy slice ends by
// itself (a continuation) before the kernel kills it.
SliceTimes slice_times(const Task& task, const TimeLimitSettings& settings);

// One POSIX timer (CLOCK_MONOTONIC, SIGEV_SIGNAL with SIGKILL) of this
// process. Not thread-safe; use it from the thread that runs slices.
class HardTimeLimit {
 public:
  HardTimeLimit();  // throws std::system_error if the kernel refuses (start-up)
  ~HardTimeLimit();
  HardTimeLimit(const HardTimeLimit&) = delete;
  HardTimeLimit& operator=(const HardTimeLimit&) = delete;

  // SIGKILL this process after `limit` unless disarmed first; a later arm
  // replaces an earlier one. nullopt or <= 0 disarms.
  void arm(std::optional<std::chrono::milliseconds> limit);
  void disarm() { arm(std::nullopt); }

 private:
  timer_t timer_{};
};

}  // namespace gb::worker
