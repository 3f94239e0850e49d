#pragma once
// What a failed task slice becomes (issue 7, item 5): a retry held by the
// broker, a dead letter, or its message handed back untouched.
//
// Pure and thread-safe (the random source is the caller's to share or not).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "base/result.hpp"

namespace gb::worker {

struct RetrySettings {
  int max_retries = 3;                         // --max-retries: retries after the first try, then dead letters
  std::chrono::milliseconds base{1'000};       // backoff base
  std::chrono::milliseconds cap{10 * 60'000};  // backoff cap (a Retry-After may be longer)
};

// Returns a number uniform in [lo, hi] (lo <= hi). Injected so tests can pin it.
using UniformInt = std::function<std::int64_t(std::int64_t lo, std::int64_t hi)>;
UniformInt thread_local_uniform();  // a per-thread std::mt19937_64, seeded from random_device

// Permanent: 400, 403, 404 (kPermanent), a 401 that the API layer already
// answered with one token refresh (kUnauthorized), bad arguments or input
// (kInvalidInput). Everything else that is not an interruption is worth a
// retry: 429/5xx/resets/truncation (kTransient), and local failures
// (kInternal: a busy or full store) which often pass; retries are bounded.
bool is_permanent(const Error& error);

struct RetryDecision {
  enum class Kind {
    kRetry,       // re-publish with retries + 1 after `delay`, then ack
    kDeadLetter,  // dead letters + FAILURE, then ack
    kRequeue,     // the process is stopping (kInterrupted): hand the message back as it is
  };
  Kind kind = Kind::kDeadLetter;
  std::chrono::milliseconds delay{0};  // kRetry only
  std::string reason;                  // for logs, the dead letter and the result: "permanent: HTTP 404: ..."
};

class RetryPolicy {
 public:
  explicit RetryPolicy(RetrySettings settings, UniformInt uniform = thread_local_uniform());

  // `retries`: the failed message's retries header (0 on the first try).
  RetryDecision decide(const Error& error, int retries) const;

  // Full jitter: uniform in [0, min(cap, base * 2^retries)].
  std::chrono::milliseconds backoff(int retries) const;

  const RetrySettings& settings() const { return settings_; }

 private:
  RetrySettings settings_;
  UniformInt uniform_;
};

}  // namespace gb::worker
