#include "base/clock.hpp"

#include "base/stop.hpp"

namespace gb {

bool Sleeper::sleep_or_cancel(Duration d, const StopSignal* cancel) {
  if (cancel != nullptr && cancel->requested()) return true;
  sleep_for(d);
  return cancel != nullptr && cancel->requested();
}

bool SystemSleeper::sleep_or_cancel(Duration d, const StopSignal* cancel) {
  if (cancel == nullptr) {
    sleep_for(d);
    return false;
  }
  if (cancel->requested()) return true;
  // Wakes for the process's stop (the contract of sleep_for) or the cancel.
  if (d > Duration::zero()) process_stop().wait_for(d, cancel);
  return cancel->requested();
}

void SystemSleeper::sleep_for(Duration d) {
  // Ends early when the process is asked to stop, as the contract allows.
  if (d > Duration::zero()) process_stop().wait_for(d);
}

SystemClock& system_clock() {
  static SystemClock clock;
  return clock;
}

SystemSleeper& system_sleeper() {
  static SystemSleeper sleeper;
  return sleeper;
}

}  // namespace gb
