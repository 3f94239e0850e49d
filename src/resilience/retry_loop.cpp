#include "resilience/retry_loop.hpp"

#include <algorithm>
#include <cstdint>

namespace gb::resilience {
namespace {

// One generator per thread: no lock, no shared state between callers.
std::mt19937_64& generator() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

}  // namespace

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt) {
  using std::chrono::milliseconds;
  const std::int64_t cap = std::max<std::int64_t>(0, policy.max_delay.count());
  const std::int64_t base = std::max<std::int64_t>(0, policy.base_delay.count());
  const int doublings = std::clamp(attempt - 1, 0, 62);
  // base * 2^doublings, saturating at the cap before it can overflow.
  std::int64_t ceiling = base;
  for (int i = 0; i < doublings && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  std::uniform_int_distribution<std::int64_t> pick(0, ceiling);
  return milliseconds(pick(generator()));
}

std::chrono::milliseconds delay_after(const RetryPolicy& policy, const Error& error, int attempt) {
  if (error.retry_after) return std::max(*error.retry_after, std::chrono::milliseconds(0));
  return backoff_delay(policy, attempt);
}

}  // namespace gb::resilience
