#pragma once
// Stopping politely (Ctrl-C, SIGTERM): a flag that a signal handler may set
// with async-signal-safe work only, and that long waits and loops look at.
// Once requested, a stop stays requested: the process is on its way out.
#include <atomic>
#include <optional>

#include "base/clock.hpp"

namespace gb {

// Thread-safe. request() is async-signal-safe; wait_for() ends at once when
// a stop is requested, in every thread waiting (a self-pipe that is written
// once and never drained, so poll() sees it readable from then on).
class StopSignal {
 public:
  StopSignal();  // throws if the pipe cannot be made (start-up)
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  void request() noexcept;
  bool requested() const noexcept;
  // Returns after `d`, or as soon as a stop is requested: true in that case.
  bool wait_for(Duration d) const;
  // The same, also ending as soon as `other` (when not null) is requested:
  // true when either is.
  bool wait_for(Duration d, const StopSignal* other) const;

 private:
  std::atomic<bool> requested_{false};  // lock-free: the cheap check
  int fds_[2] = {-1, -1};
};

// A StopSignal is also the cancellation token a caller hands down (a worker's
// soft time limit): make one per piece of work, request() it to cancel.

// The bounds a caller puts on the calls it makes for one piece of work (a
// worker's slice): no wait (a backoff, the rate budget) ends after
// `deadline`, measured on the caller's Clock, and every wait and transfer
// stops at its next safe point once `cancel` is requested. Both optional;
// `cancel` is borrowed and must outlive the calls.
struct CallLimits {
  std::optional<SteadyTime> deadline;
  const StopSignal* cancel = nullptr;

  bool cancelled() const noexcept { return cancel != nullptr && cancel->requested(); }
};

// The process's stop signal: what SIGINT/SIGTERM set, what SystemSleeper
// waits on and what the HTTP transport and the pipeline check.
StopSignal& process_stop();

// SIGINT and SIGTERM request process_stop(); a second one ends the process at
// once with 128 + the signal's number (SQLite rolls back a chunk that was
// landing: it lands wholly or not at all). Call once, before threads start.
void install_stop_handlers();

}  // namespace gb
