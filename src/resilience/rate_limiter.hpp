#pragma once
// One request budget for the whole process. RateBudget is the seam: the local
// limiter below implements it now; a fleet-wide (e.g. Redis-backed) budget can
// implement the same two calls later.
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "base/stop.hpp"

namespace gb::resilience {

// What a response said about the server-side budget; fields are absent when
// the response did not carry the matching header.
struct RateSignal {
  std::optional<std::int64_t> remaining;           // requests left in the window
  std::optional<std::chrono::milliseconds> reset;  // time until the window resets
};

// Thread-safe. acquire() blocks (through the injected Sleeper) until one more
// request may go out, and returns ok; observe() feeds back what a response
// said. acquire() never waits past `limits.deadline`: when the grant would
// come later it returns at once a kTransient Error with not_sent and
// retry_after = the wait (so a worker can hand the wait to the broker); a
// requested `limits.cancel` ends the wait with a kInterrupted Error.
class RateBudget {
 public:
  virtual ~RateBudget() = default;
  virtual Status acquire(const CallLimits& limits) = 0;
  virtual void observe(const RateSignal& signal) = 0;
};

struct RateLimiterSettings {
  int requests_per_window = 300;
  std::chrono::milliseconds window{60'000};
  // When the server says fewer than this many remain, spread the rest over
  // the time to reset; at zero, wait for the reset.
  int slow_down_below = 10;
};

// A sliding window of the last `requests_per_window` grants: a request may go
// when fewer than that were granted in the last `window`, and no slow-down
// ordered by observe() holds it back (a pause lasts at most one window).
// Thread-safe; sleeps without the lock.
class LocalRateLimiter final : public RateBudget {
 public:
  // Throws std::invalid_argument on a non-positive budget or window (start-up misconfiguration).
  LocalRateLimiter(RateLimiterSettings settings, const Clock& clock, Sleeper& sleeper);

  Status acquire(const CallLimits& limits) override;
  void observe(const RateSignal& signal) override;

  // Requests granted in the current window (for status and tests).
  int in_window() const;

 private:
  // How long until a grant is possible; zero when one is possible now (and records it).
  Duration try_grant_locked(SteadyTime now);

  const RateLimiterSettings settings_;
  const Clock& clock_;
  Sleeper& sleeper_;
  mutable std::mutex mutex_;
  std::deque<SteadyTime> grants_;  // oldest first, at most requests_per_window
  SteadyTime not_before_{};        // the server's budget is spent: nothing until then
  SteadyTime pace_until_{};        // slow-down applies until this time
  Duration pace_interval_{};       // minimum gap between grants while slowed down
  std::optional<SteadyTime> last_grant_;
};

}  // namespace gb::resilience
