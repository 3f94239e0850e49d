#pragma once
// Time is an input: everything that waits or measures takes a Clock and a
// Sleeper, so tests step time instead of sleeping.
#include <chrono>

namespace gb {

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
};

class SystemClock final : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
};

class SystemSleeper final : public Sleeper {
 public:
  void sleep_for(Duration d) override;
};

SystemClock& system_clock();
SystemSleeper& system_sleeper();

}  // namespace gb
