#include "resilience/circuit_breaker.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "base/log.hpp"

namespace gb::resilience {

const char* to_string(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half-open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(CircuitBreakerSettings settings, const Clock& clock)
    : settings_(std::move(settings)), clock_(clock) {
  if (settings_.threshold < 1) throw std::invalid_argument("circuit breaker: threshold must be >= 1");
}

bool CircuitBreaker::allow() {
  std::unique_lock lock(mutex_);
  const bool allowed = allow_locked();
  notify(lock);
  return allowed;
}

void CircuitBreaker::report(Outcome outcome, std::optional<std::chrono::milliseconds> retry_after) {
  std::unique_lock lock(mutex_);
  report_locked(outcome, retry_after);
  notify(lock);
}

void CircuitBreaker::notify(std::unique_lock<std::mutex>& lock) {
  const std::optional<Change> change = std::exchange(pending_change_, std::nullopt);
  lock.unlock();
  if (change && settings_.on_change) settings_.on_change(change->to, change->why);
}

bool CircuitBreaker::allow_locked() {
  switch (state_) {
    case BreakerState::kClosed: return true;
    case BreakerState::kOpen:
      if (clock_.now() < open_until_) return false;
      transition_locked(BreakerState::kHalfOpen, "cooldown over, probing");
      probe_in_flight_ = true;
      return true;
    case BreakerState::kHalfOpen:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::report_locked(Outcome outcome, std::optional<std::chrono::milliseconds> retry_after) {
  const SteadyTime now = clock_.now();
  const bool was_probe = state_ == BreakerState::kHalfOpen;
  if (outcome == Outcome::kOverload && retry_after && *retry_after >= settings_.long_retry_after) {
    // The server asked for a long pause: honour it for every caller at once.
    if (state_ != BreakerState::kOpen || open_until_ < now + *retry_after)
      open_locked(now, *retry_after, "long Retry-After");
    return;
  }
  switch (state_) {
    case BreakerState::kClosed:
      if (outcome == Outcome::kSuccess) consecutive_overloads_ = 0;
      if (outcome == Outcome::kOverload && ++consecutive_overloads_ >= settings_.threshold) {
        open_locked(now, std::max<Duration>(settings_.cooldown, retry_after.value_or(std::chrono::milliseconds(0))),
                    "consecutive overload responses");
      }
      return;
    case BreakerState::kOpen:
      // Late reports from calls that started before it opened change nothing.
      return;
    case BreakerState::kHalfOpen:
      if (!was_probe) return;
      probe_in_flight_ = false;
      if (outcome == Outcome::kSuccess) {
        consecutive_overloads_ = 0;
        transition_locked(BreakerState::kClosed, "probe succeeded");
      } else if (outcome == Outcome::kOverload) {
        open_locked(now, std::max<Duration>(settings_.cooldown, retry_after.value_or(std::chrono::milliseconds(0))),
                    "probe overloaded");
      }
      // Neutral: the probe slot is free again; the next caller probes.
      return;
  }
}

BreakerState CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

Duration CircuitBreaker::remaining_open() const {
  std::lock_guard lock(mutex_);
  if (state_ != BreakerState::kOpen) return Duration::zero();
  return std::max(Duration::zero(), open_until_ - clock_.now());
}

void CircuitBreaker::open_locked(SteadyTime now, Duration for_how_long, const char* why) {
  open_until_ = now + for_how_long;
  probe_in_flight_ = false;
  consecutive_overloads_ = 0;
  log::warn("circuit breaker open")
      .field("breaker", settings_.name)
      .field("from", to_string(state_))
      .field("reason", why)
      .field("open_ms",
             static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(for_how_long).count()))
      .emit();
  state_ = BreakerState::kOpen;
  pending_change_ = Change{state_, why};
}

void CircuitBreaker::transition_locked(BreakerState to, const char* why) {
  log::info(std::string("circuit breaker ") + to_string(to))
      .field("breaker", settings_.name)
      .field("from", to_string(state_))
      .field("reason", why)
      .emit();
  state_ = to;
  pending_change_ = Change{state_, why};
}

}  // namespace gb::resilience
