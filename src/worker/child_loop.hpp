#pragma once
// The loop of one worker child: take a delivery, arm the hard time limit,
// let the TaskRunner decide, ack (or hand it back), disarm; between tasks,
// stop when asked, or recycle after max_tasks_per_child tasks or above
// max_memory_per_child bytes of RSS (the supervisor starts a fresh child).
#include <chrono>
#include <cstdint>
#include <functional>

#include "base/result.hpp"
#include "base/stop.hpp"
#include "worker/ports.hpp"
#include "worker/task_runner.hpp"
#include "worker/time_limits.hpp"

namespace gb::worker {

struct ChildLoopSettings {
  int max_tasks_per_child = 0;                     // 0 = unlimited
  std::uint64_t max_memory_per_child = 0;          // RSS bytes; 0 = unlimited
  std::chrono::milliseconds wait{1'000};           // longest wait for a delivery (how soon a stop is seen when idle)
  std::chrono::milliseconds after_requeue{1'000};  // pause after handing a message back (no hot redelivery loop)
  // Called after every wait and every task: keeps the other connections
  // alive (the publisher's heartbeats) and says whether they still work. An
  // Error ends the loop as kBrokerLost (the child exits and the supervisor
  // starts a fresh one with its backoff: a reconnection).
  std::function<Status()> service;
};

struct ChildLoopEnd {
  enum class Why { kStopped, kMaxTasks, kMaxMemory, kBrokerLost };
  Why why = Why::kStopped;
  int tasks = 0;
  std::optional<Error> error;  // kBrokerLost: what the consumer said
};

// Exit codes of a child's main: 0 for a clean end (stopped, recycled: the
// supervisor restarts it at once), 75 (EX_TEMPFAIL) when the broker is gone
// (the supervisor restarts it with its crash backoff: that is the reconnect
// backoff).
int exit_code(const ChildLoopEnd& end);

// `on_handled` is told each outcome (for logs); `hard_limit` may be nullptr.
ChildLoopEnd run_child_loop(Consumer& consumer, TaskRunner& runner, HardTimeLimit* hard_limit,
                            const ChildLoopSettings& settings, const StopSignal& stop,
                            const std::function<void(const Delivery&, const Handled&)>& on_handled = {});

}  // namespace gb::worker
