#pragma once
// One retry loop for every idempotent call. Transient errors are retried with
// exponential backoff and full jitter, or after the server's Retry-After when
// it gave one; everything else returns at once. How long an outage is waited
// out is the run's Patience's to say.
#include <chrono>
#include <functional>
#include <random>
#include <type_traits>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "base/stop.hpp"
#include "resilience/patience.hpp"

namespace gb::resilience {

struct RetryPolicy {
  int max_attempts = 6;                         // first try included; failures during an outage do not count
  std::chrono::milliseconds base_delay{500};    // backoff base
  std::chrono::milliseconds max_delay{60'000};  // backoff cap
};

// Full jitter: uniform in [0, min(max_delay, base_delay * 2^(attempt-1))].
// attempt counts from 1 (the delay before the 2nd try). Thread-safe.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt);

// The delay before the next try after `error`: its retry_after if it has one
// (a valid Retry-After wins over backoff), else backoff_delay.
std::chrono::milliseconds delay_after(const RetryPolicy& policy, const Error& error, int attempt);

// What bounds a retry loop besides its attempts and the patience (a worker's
// slice): no wait ends after limits.deadline, measured on `clock` (required
// with a deadline); a requested limits.cancel ends the loop before the next
// attempt or during a wait, with a kInterrupted Error.
struct RetryBounds {
  const Clock* clock = nullptr;
  CallLimits limits;
  // Set to true when the loop returned its last error because the next try
  // would have come after the deadline (not because it ran out of attempts).
  bool* deadline_hit = nullptr;
};

// Calls attempt(n) for n = 1, 2, ... until it succeeds or fails permanently,
// and returns that outcome. A transient failure is retried after the delay
// patience.before_retry() grants; it ends the loop with its Error instead
// when the outage has lasted too long or the server asks for a longer wait.
// Failures outside an outage (a body cut short or not JSON while the API
// answers) count: after max_attempts of them the last one is returned.
// With a deadline in `bounds`, a wait that would end after it is not taken:
// the last transient Error returns as it is (its retry_after, the server's
// wish, kept). on_retry(error, n, delay) is told before each wait (for logs).
template <class F, class OnRetry>
auto retry(const RetryPolicy& policy, Patience& patience, Sleeper& sleeper, const RetryBounds& bounds, F&& attempt,
           OnRetry&& on_retry) -> std::invoke_result_t<F&, int> {
  for (int n = 1, counted = 0;; ++n) {
    if (bounds.limits.cancelled()) return interrupted_error("cancelled before the next attempt");
    auto outcome = attempt(n);
    if (outcome.ok() || !outcome.error().transient()) return outcome;
    if (!patience.in_outage() && ++counted >= policy.max_attempts) return outcome;
    auto delay = patience.before_retry(outcome.error(), delay_after(policy, outcome.error(), n));
    if (!delay.ok()) return std::move(delay).error();
    if (bounds.limits.deadline && bounds.clock != nullptr && bounds.clock->now() + *delay > *bounds.limits.deadline) {
      if (bounds.deadline_hit != nullptr) *bounds.deadline_hit = true;
      return outcome;
    }
    on_retry(outcome.error(), n, *delay);
    if (sleeper.sleep_or_cancel(*delay, bounds.limits.cancel))
      return interrupted_error("cancelled while waiting to retry");
  }
}

template <class F, class OnRetry>
auto retry(const RetryPolicy& policy, Patience& patience, Sleeper& sleeper, F&& attempt, OnRetry&& on_retry)
    -> std::invoke_result_t<F&, int> {
  return retry(policy, patience, sleeper, RetryBounds{}, std::forward<F>(attempt), std::forward<OnRetry>(on_retry));
}

// Without a run's patience (tests, one-off calls): max_attempts alone bounds it.
template <class F, class OnRetry>
auto retry(const RetryPolicy& policy, Sleeper& sleeper, F&& attempt, OnRetry&& on_retry)
    -> std::invoke_result_t<F&, int> {
  Patience unbounded(std::chrono::hours(24 * 365), system_clock());
  return retry(policy, unbounded, sleeper, std::forward<F>(attempt), std::forward<OnRetry>(on_retry));
}

template <class F>
auto retry(const RetryPolicy& policy, Sleeper& sleeper, F&& attempt) -> std::invoke_result_t<F&, int> {
  return retry(policy, sleeper, std::forward<F>(attempt), [](const Error&, int, std::chrono::milliseconds) {});
}

}  // namespace gb::resilience
