#pragma once
// Delays held by RabbitMQ, not by a sleeping worker (issue 7, item 4).
//
// A per-message TTL only expires at the head of its queue, so one delay
// queue with mixed TTLs would hold a short delay behind a long one. Instead
// there is a ladder of queues `<queue>.delay.<step>`, each with one fixed
// x-message-ttl, dead-lettering through the default exchange back to the work
// queue. A delay D is served by the largest step <= D (the smallest step when
// D is below it); the message carries its target time in its `eta` header, so
// when it comes back early the worker parks it again for what is left. A
// crash while a message waits loses nothing: it is in a durable queue.
//
// Pure: no broker here. Thread-safe (const after construction).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/message.hpp"

namespace gb::worker {

using WallTime = std::chrono::system_clock::time_point;

// 1s, 5s, 15s, 1min, 5min, 15min, 1h. Why these: continuations poll a running
// job every few seconds to 15 s (the pipeline's poll interval), retries back
// off from ~1 s to minutes and honour Retry-After (seconds to an hour), and
// Celery countdowns are arbitrary. Neighbouring steps differ by 3-5x, so any
// delay takes at most a handful of hops (each a few ms of a worker's time),
// and a long one costs one hop per hour.
std::vector<std::chrono::milliseconds> default_delay_steps();

struct DelayStep {
  std::chrono::milliseconds ttl{0};
  std::string queue;  // "<work queue>.delay.<label>", e.g. "genesys-bulk.delay.15s"
};

// Where a message goes now.
struct Parking {
  const DelayStep* step = nullptr;  // nullptr: its time has come, run it now
  std::chrono::milliseconds remaining{0};
};

class DelayLadder {
 public:
  // `steps` must be non-empty and positive (std::invalid_argument otherwise:
  // a start-up misconfiguration); they are sorted and deduplicated.
  // `tolerance`: a message at most this early runs now instead of waiting a
  // whole smallest step (clocks of different machines differ by a few ms).
  explicit DelayLadder(std::string work_queue, std::vector<std::chrono::milliseconds> steps = default_delay_steps(),
                       std::chrono::milliseconds tolerance = std::chrono::milliseconds(200));

  const std::string& work_queue() const { return work_queue_; }
  const std::vector<DelayStep>& steps() const { return steps_; }  // shortest first

  // The step for a delay: the largest <= delay, or the smallest.
  const DelayStep& step_for(std::chrono::milliseconds delay) const;

  // For a message due at `eta` (nullopt: no eta), seen at `now`.
  Parking plan(std::optional<WallTime> eta, WallTime now) const;

  // x-message-ttl (ms), x-dead-letter-exchange "" and
  // x-dead-letter-routing-key <work queue>: declare the step's queue durable
  // with these. Changing a step's TTL means a new queue name, never a
  // redeclaration with different arguments (PRECONDITION_FAILED).
  FieldTable queue_arguments(const DelayStep& step) const;

 private:
  std::string work_queue_;
  std::vector<DelayStep> steps_;
  std::chrono::milliseconds tolerance_;
};

// "1s", "15s", "5m", "1h", or "<n>ms" when not a whole second/minute/hour.
std::string delay_label(std::chrono::milliseconds delay);

// Headers RabbitMQ adds while dead-lettering (x-death, x-first-death-*,
// x-last-death-*): dropped before a message is published again so that a
// message parked many times does not grow.
void strip_dead_letter_headers(FieldTable& headers);

}  // namespace gb::worker
