#pragma once
// Stops hammering an API that says it is overloaded: after `threshold`
// consecutive 429/503 outcomes every call is refused for `cooldown`; then one
// probe goes through; its success closes the breaker, an overload reopens it.
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.hpp"

namespace gb::resilience {

enum class BreakerState { kClosed, kOpen, kHalfOpen };
const char* to_string(BreakerState state);

struct CircuitBreakerSettings {
  int threshold = 5;                           // consecutive overload outcomes that open it
  std::chrono::milliseconds cooldown{30'000};  // how long it stays open before a probe
  std::chrono::milliseconds long_retry_after{
      60'000};               // a Retry-After at least this long opens it at once, for that long
  std::string name = "api";  // for logs
  // Told of every state change (e.g. to record it where `status` reads it).
  // Called after the breaker's lock is released, on the caller's thread.
  std::function<void(BreakerState state, const char* why)> on_change;
};

// What a call's outcome means to the breaker.
enum class Outcome {
  kSuccess,   // the server answered and is not overloaded (any status but 429/503)
  kOverload,  // 429 or 503
  kNeutral,   // no verdict (e.g. a connection error, a refused call): counts neither way
};

// Thread-safe. Every caller that allow()ed must report() exactly once.
// State transitions are logged (warn when opening, info otherwise).
class CircuitBreaker {
 public:
  // Throws std::invalid_argument on threshold < 1 (start-up misconfiguration).
  CircuitBreaker(CircuitBreakerSettings settings, const Clock& clock);

  // True when a call may go out now. While open: false. When the cooldown is
  // over, exactly one caller gets true (the probe) and the state is half-open
  // until that caller reports; others get false meanwhile.
  bool allow();

  // retry_after: the server's wish on an overload, if it said one.
  void report(Outcome outcome, std::optional<std::chrono::milliseconds> retry_after = std::nullopt);

  BreakerState state() const;
  // Time left before a probe may go (zero unless open).
  Duration remaining_open() const;

 private:
  struct Change {
    BreakerState to;
    const char* why;
  };
  bool allow_locked();
  void report_locked(Outcome outcome, std::optional<std::chrono::milliseconds> retry_after);
  void open_locked(SteadyTime now, Duration for_how_long, const char* why);
  void transition_locked(BreakerState to, const char* why);
  // Hands a change noted under the lock to settings_.on_change, unlocked.
  void notify(std::unique_lock<std::mutex>& lock);

  const CircuitBreakerSettings settings_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  BreakerState state_ = BreakerState::kClosed;
  int consecutive_overloads_ = 0;
  SteadyTime open_until_{};
  bool probe_in_flight_ = false;
  std::optional<Change> pending_change_;
};

}  // namespace gb::resilience
