#pragma once
// Time is an input: everything that waits or measures takes a Clock and a
// Sleeper, so tests step time instead of sleeping.
#include <chrono>

namespace gb {

class StopSignal;  // base/stop.hpp

using SteadyTime = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

// Thread-safe. now() never goes backwards.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime now() const = 0;
};

// Thread-safe. sleep_for may return early only if the process is stopping.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleep_for(Duration d) = 0;
  // The same sleep, cut short once `cancel` (when not null) is requested: a
  // worker's soft time limit must not wait out a backoff. True when it
  // returned because of `cancel` (also when it was requested before).
  // The default checks `cancel` before and after sleep_for (right for a fake
  // clock, whose sleeps take no time); SystemSleeper wakes at once.
  virtual bool sleep_or_cancel(Duration d, const StopSignal* cancel);
};

class SystemClock final : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
};

class SystemSleeper final : public Sleeper {
 public:
  void sleep_for(Duration d) override;
  bool sleep_or_cancel(Duration d, const StopSignal* cancel) override;
};

SystemClock& system_clock();
SystemSleeper& system_sleeper();

}  // namespace gb
