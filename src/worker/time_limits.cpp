#include "worker/time_limits.hpp"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <system_error>

namespace gb::worker {
namespace {

using std::chrono::milliseconds;

std::optional<milliseconds> from_seconds(std::optional<double> seconds) {
  // Beyond a year is "no limit" as far as a slice can tell (and no overflow).
  if (!seconds || !std::isfinite(*seconds) || *seconds <= 0 || *seconds > 365.0 * 86'400) return std::nullopt;
  return milliseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(std::llround(*seconds * 1000))));
}

std::optional<milliseconds> positive(std::optional<milliseconds> d) {
  if (!d || d->count() <= 0) return std::nullopt;
  return d;
}

}  // namespace

SliceTimes slice_times(const Task& task, const TimeLimitSettings& settings) {
  const auto soft = task.soft_limit_s ? from_seconds(task.soft_limit_s) : positive(settings.soft);
  const auto hard = task.hard_limit_s ? from_seconds(task.hard_limit_s) : positive(settings.hard);
  SliceTimes times;
  times.budget = std::max(milliseconds(1), settings.task_slice);
  if (hard) times.budget = std::max(milliseconds(1), std::min(times.budget, *hard * 4 / 5));
  times.soft = soft;
  times.hard = hard;
  return times;
}

HardTimeLimit::HardTimeLimit() {
  sigevent event{};
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = SIGKILL;
  if (::timer_create(CLOCK_MONOTONIC, &event, &timer_) != 0) {
    throw std::system_error(errno, std::generic_category(), "timer_create for the hard time limit");
  }
}

HardTimeLimit::~HardTimeLimit() {
  ::timer_delete(timer_);
}

void HardTimeLimit::arm(std::optional<milliseconds> limit) {
  itimerspec spec{};  // all zero: disarmed
  if (limit && limit->count() > 0) {
    spec.it_value.tv_sec = static_cast<time_t>(limit->count() / 1000);
    spec.it_value.tv_nsec = static_cast<long>(limit->count() % 1000) * 1'000'000L;
  }
  // Cannot fail with a valid timer and these values.
  ::timer_settime(timer_, 0, &spec, nullptr);
}

}  // namespace gb::worker
