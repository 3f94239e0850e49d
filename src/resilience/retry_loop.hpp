#pragma once
// One retry loop for every idempotent call. Transient errors are retried with
// exponential backoff and full jitter, or after the server's Retry-After when
// it gave one (capped); everything else returns at once.
#include <chrono>
#include <functional>
#include <random>
#include <type_traits>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace gb::resilience {

struct RetryPolicy {
  int max_attempts = 6;                                // first try included
  std::chrono::milliseconds base_delay{500};           // backoff base
  std::chrono::milliseconds max_delay{60'000};         // backoff cap
  std::chrono::milliseconds max_retry_after{300'000};  // cap on a server's Retry-After
};

// Full jitter: uniform in [0, min(max_delay, base_delay * 2^(attempt-1))].
// attempt counts from 1 (the delay before the 2nd try). Thread-safe.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt);

// The delay before the next try after `error`: its retry_after (capped) if it
// has one, else backoff_delay.
std::chrono::milliseconds delay_after(const RetryPolicy& policy, const Error& error, int attempt);

// Calls attempt(n) for n = 1, 2, ... until it succeeds, fails permanently, or
// max_attempts is reached; returns the last outcome. on_retry(error, n, delay)
// is told before each wait (for logs). `attempt` returns Result<T>.
template <class F, class OnRetry>
auto retry(const RetryPolicy& policy, Sleeper& sleeper, F&& attempt, OnRetry&& on_retry)
    -> std::invoke_result_t<F&, int> {
  for (int n = 1;; ++n) {
    auto outcome = attempt(n);
    if (outcome.ok() || !outcome.error().transient() || n >= policy.max_attempts) return outcome;
    const auto delay = delay_after(policy, outcome.error(), n);
    on_retry(outcome.error(), n, delay);
    sleeper.sleep_for(delay);
  }
}

template <class F>
auto retry(const RetryPolicy& policy, Sleeper& sleeper, F&& attempt) -> std::invoke_result_t<F&, int> {
  return retry(policy, sleeper, std::forward<F>(attempt), [](const Error&, int, std::chrono::milliseconds) {});
}

}  // namespace gb::resilience
