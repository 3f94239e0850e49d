#include "simulator/rate_limiter.hpp"

namespace gb::simulator {

RateLimiter::RateLimiter(int budget, std::chrono::seconds window, const Clock& clock)
    : budget_(budget), window_(window), clock_(clock) {}

RateLimiter::Decision RateLimiter::take() {
  std::lock_guard lock(mutex_);
  const SteadyTime now = clock_.now();
  // Fixed windows, the first one starting at the first request.
  if (!started_ || now >= window_start_ + window_) {
    started_ = true;
    window_start_ = now;
    count_ = 0;
  }
  if (budget_ <= 0 || count_ < budget_) {
    ++count_;
    return decision_locked(true, now);
  }
  return decision_locked(false, now);
}

RateLimiter::Decision RateLimiter::peek() {
  std::lock_guard lock(mutex_);
  const SteadyTime now = clock_.now();
  if (!started_ || now >= window_start_ + window_) {
    Decision d;
    d.budget = budget_;
    d.reset_seconds = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(window_).count());
    return d;
  }
  return decision_locked(count_ < budget_ || budget_ <= 0, now);
}

RateLimiter::Decision RateLimiter::decision_locked(bool allowed, SteadyTime now) const {
  Decision d;
  d.allowed = allowed;
  d.count = count_;
  d.budget = budget_ > 0 ? budget_ : count_;
  const auto left = window_start_ + window_ - now;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
  d.reset_seconds = static_cast<int>(ms <= 0 ? 0 : (ms + 999) / 1000);
  return d;
}

}  // namespace gb::simulator
