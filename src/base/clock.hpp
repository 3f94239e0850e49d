#pragma once
// Time is an input: everything that waits or measures takes a Clock and a
// Sleeper, so tests step time instead of sleeping.
#include <chrono>
#include <mutex>

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

// For tests: a clock that moves only when told to, or when something sleeps on it.
class FakeClock final : public Clock, public Sleeper {
 public:
  SteadyTime now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void sleep_for(Duration d) override { advance(d); }
  void advance(Duration d) {
    std::lock_guard lock(mutex_);
    now_ += d;
    slept_ += d;
  }
  Duration total_slept() const {
    std::lock_guard lock(mutex_);
    return slept_;
  }

 private:
  mutable std::mutex mutex_;
  SteadyTime now_{std::chrono::hours(1000)};
  Duration slept_{};
};

}  // namespace gb
