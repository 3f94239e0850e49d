#include "worker/retry_policy.hpp"

#include <algorithm>
#include <random>

namespace gb::worker {

using std::chrono::milliseconds;

UniformInt thread_local_uniform() {
  return [](std::int64_t lo, std::int64_t hi) {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(engine);
  };
}

bool is_permanent(const Error& error) {
  switch (error.kind) {
    case ErrorKind::kPermanent:
    case ErrorKind::kUnauthorized:
    case ErrorKind::kInvalidInput: return true;
    case ErrorKind::kTransient:
    case ErrorKind::kInternal:
    case ErrorKind::kInterrupted: return false;
  }
  return true;
}

RetryPolicy::RetryPolicy(RetrySettings settings, UniformInt uniform)
    : settings_(settings), uniform_(std::move(uniform)) {}

milliseconds RetryPolicy::backoff(int retries) const {
  const std::int64_t cap = std::max<std::int64_t>(0, settings_.cap.count());
  std::int64_t ceiling = std::min(cap, std::max<std::int64_t>(0, settings_.base.count()));
  // base * 2^retries, saturating at the cap before it can overflow.
  for (int i = 0; i < std::clamp(retries, 0, 62) && ceiling < cap; ++i) ceiling = std::min(cap, ceiling * 2);
  return milliseconds(uniform_(0, ceiling));
}

RetryDecision RetryPolicy::decide(const Error& error, int retries) const {
  RetryDecision decision;
  decision.reason = error.describe();
  if (error.kind == ErrorKind::kInterrupted) {
    decision.kind = RetryDecision::Kind::kRequeue;
    return decision;
  }
  if (is_permanent(error)) {
    decision.kind = RetryDecision::Kind::kDeadLetter;
    return decision;
  }
  if (retries >= settings_.max_retries) {
    decision.kind = RetryDecision::Kind::kDeadLetter;
    decision.reason = "gave up after " + std::to_string(retries) + " retries: " + decision.reason;
    return decision;
  }
  decision.kind = RetryDecision::Kind::kRetry;
  decision.delay = backoff(retries);
  // A valid Retry-After wins over a shorter computed backoff (never over a longer one).
  if (error.retry_after) decision.delay = std::max(decision.delay, *error.retry_after);
  return decision;
}

}  // namespace gb::worker
