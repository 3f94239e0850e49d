#include "base/clock.hpp"

#include <thread>

namespace gb {

void SystemSleeper::sleep_for(Duration d) {
  if (d > Duration::zero()) std::this_thread::sleep_for(d);
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
