#pragma once
// The simulator's per-window request budget (like Genesys Cloud's: N requests
// per fixed window, reported in inin-ratelimit-* headers). Thread-safe.
#include <chrono>
#include <mutex>

#include "base/clock.hpp"

namespace gb::simulator {

class RateLimiter {
 public:
  struct Decision {
    bool allowed = true;
    int count = 0;          // requests counted in the current window (after this one)
    int budget = 0;         // inin-ratelimit-allowed
    int reset_seconds = 0;  // until the window resets, rounded up (>= 1 inside a window)
    int remaining() const { return budget > count ? budget - count : 0; }
  };

  // budget <= 0 disables the limit (every request allowed).
  RateLimiter(int budget, std::chrono::seconds window, const Clock& clock);

  // Counts one request if the window still has budget; says so either way.
  Decision take();
  // The current window's figures, counting nothing (for responses outside the budget).
  Decision peek();

 private:
  Decision decision_locked(bool allowed, SteadyTime now) const;

  const int budget_;
  const Duration window_;
  const Clock& clock_;
  std::mutex mutex_;
  bool started_ = false;
  SteadyTime window_start_{};
  int count_ = 0;
};

}  // namespace gb::simulator
