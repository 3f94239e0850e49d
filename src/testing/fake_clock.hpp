#pragma once
// A Clock and Sleeper for tests: time moves only when told to, or when
// something sleeps on it, so a test of waiting never waits. In namespace gb
// (not gb::testing, which would clash with GoogleTest's ::testing in tests).
#include <mutex>

#include "base/clock.hpp"

namespace gb {

// Thread-safe. Starts far from zero so that "now - interval" never underflows.
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
  // Everything slept or advanced since construction.
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
