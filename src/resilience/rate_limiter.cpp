#include "resilience/rate_limiter.hpp"

#include <algorithm>
#include <stdexcept>

namespace gb::resilience {

LocalRateLimiter::LocalRateLimiter(RateLimiterSettings settings, const Clock& clock, Sleeper& sleeper)
    : settings_(settings), clock_(clock), sleeper_(sleeper) {
  if (settings_.requests_per_window <= 0) throw std::invalid_argument("rate limit: requests per window must be > 0");
  if (settings_.window <= std::chrono::milliseconds::zero())
    throw std::invalid_argument("rate limit: window must be > 0");
}

Duration LocalRateLimiter::try_grant_locked(SteadyTime now) {
  while (!grants_.empty() && grants_.front() + settings_.window <= now) grants_.pop_front();
  Duration wait = Duration::zero();
  if (static_cast<int>(grants_.size()) >= settings_.requests_per_window) {
    wait = std::max(wait, grants_.front() + settings_.window - now);
  }
  if (now < not_before_) wait = std::max(wait, not_before_ - now);
  if (now < pace_until_ && last_grant_) wait = std::max(wait, *last_grant_ + pace_interval_ - now);
  if (wait > Duration::zero()) return wait;
  grants_.push_back(now);
  last_grant_ = now;
  return Duration::zero();
}

Status LocalRateLimiter::acquire(const CallLimits& limits) {
  for (;;) {
    if (limits.cancelled()) return interrupted_error("rate budget: cancelled while waiting");
    Duration wait;
    SteadyTime now;
    {
      std::lock_guard lock(mutex_);
      now = clock_.now();
      wait = try_grant_locked(now);
    }
    if (wait <= Duration::zero()) return ok_status();
    if (limits.deadline && now + wait > *limits.deadline) {
      Error e = transient_error("rate budget: no request may go out before the deadline");
      e.retry_after = std::chrono::ceil<std::chrono::milliseconds>(wait);
      e.not_sent = true;
      return e;
    }
    // Without the lock: others may observe meanwhile.
    if (sleeper_.sleep_or_cancel(wait, limits.cancel)) {
      return interrupted_error("rate budget: cancelled while waiting");
    }
  }
}

void LocalRateLimiter::observe(const RateSignal& signal) {
  if (!signal.remaining) return;
  // At most one window: a longer wait the server asks for is the retry loop's
  // and the breaker's to honour (or to end the run), not a block on every
  // caller of acquire().
  const auto reset =
      std::clamp(signal.reset.value_or(settings_.window), std::chrono::milliseconds(0), settings_.window);
  std::lock_guard lock(mutex_);
  const SteadyTime now = clock_.now();
  if (*signal.remaining <= 0) {
    // Spent: nothing more until the server's window resets.
    not_before_ = std::max(not_before_, now + reset);
  } else if (*signal.remaining < settings_.slow_down_below) {
    // Running out: spread what is left evenly over the time to reset.
    pace_until_ = now + reset;
    pace_interval_ = reset / *signal.remaining;
  } else {
    // Plenty left (the window has reset): stop pacing.
    pace_until_ = now;
  }
}

int LocalRateLimiter::in_window() const {
  std::lock_guard lock(mutex_);
  const SteadyTime now = clock_.now();
  return static_cast<int>(
      std::count_if(grants_.begin(), grants_.end(), [&](SteadyTime t) { return t + settings_.window > now; }));
}

}  // namespace gb::resilience
