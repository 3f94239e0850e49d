#include "base/clock.hpp"

#include "base/stop.hpp"

namespace gb {

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
