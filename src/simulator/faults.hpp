#pragma once
// Faults on demand. Each fault is a FaultRate: a count (the first N events
// that could fault do) and/or a probability (each later event faults with
// it). Decisions are deterministic given the seed and the order of events.
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace gb::simulator {

struct FaultRate {
  double probability = 0.0;  // in [0, 1]
  std::uint64_t count = 0;   // the first `count` eligible events fault
  bool active() const { return probability > 0.0 || count > 0; }
};

// "0.05" (has a '.', or is 0) = a probability; "3" (an integer >= 1) = a count.
Result<FaultRate> parse_fault_rate(std::string_view text);

struct Faults {
  // Per API request (not /oauth/token, not /__sim/stats):
  FaultRate too_many_requests;  // 429 + Retry-After, whatever the budget says
  FaultRate server_error;       // 502, 503, 504 in turn
  FaultRate revoke_token;       // the request's token is revoked first: 401 now and after
  FaultRate forbidden;          // 403 missing.permissions
  FaultRate slow;               // the response is delayed by slow_delay
  // Per results response (bulk chunk or analytics page), once its body started:
  FaultRate reset_mid_body;  // TCP RST after about half of the body
  FaultRate truncated_body;  // orderly close after about half of the body
  // Per record: a pure function of (seed, job, record index); the count form
  // flaws records 0..N-1 of every job. A flawed record keeps its key.
  FaultRate malformed_record;  // the record is not valid JSON (braces still balanced)
  FaultRate invalid_utf8;      // a string holds invalid UTF-8 bytes
  FaultRate nul_escape;        // a string holds the escape \u0000
  // Per job, decided when it is created (at most one applies, in this order):
  FaultRate job_failed;     // ends failed / FAILED
  FaultRate job_cancelled;  // ends cancelled / CANCELLED
  FaultRate job_expired;    // analytics jobs only: ends EXPIRED
  // Fixed settings:
  std::chrono::milliseconds slow_delay{1000};
  int retry_after_seconds = 2;              // Retry-After of injected 429s...
  std::string retry_after_text;             // ...or, when set, this text verbatim ("-5", "soon", " ", a date)
  std::uint64_t huge_chunk_mb = 0;          // >0: the first chunk of every bulk job is about this big
  std::uint64_t huge_record_mb = 0;         // >0: record 1 of every bulk job is about this big
  bool chunks_out_of_order = false;         // bulk status lists chunks shuffled, not by index
  std::chrono::seconds outage_after{0};     // an outage window starting this long after start...
  std::chrono::seconds outage_duration{0};  // ...lasting this long (0 = none): every request 503
  bool outage_without_retry_after = false;  // its 503s say nothing of when it ends
};

enum class FaultKind {
  kTooManyRequests,
  kServerError,
  kRevokeToken,
  kForbidden,
  kSlow,
  kResetMidBody,
  kTruncatedBody,
  kJobFailed,
  kJobCancelled,
  kJobExpired,
  kCount,
};
const char* to_string(FaultKind kind);

// Decides per event whether a fault fires. Thread-safe.
class FaultScheduler {
 public:
  FaultScheduler(const Faults& faults, std::uint64_t seed);
  // Counts one eligible event of this kind and says whether it faults.
  bool fire(FaultKind kind);
  // How many times fire(kind) returned true.
  std::uint64_t fired(FaultKind kind) const;

 private:
  static constexpr std::size_t kKinds = static_cast<std::size_t>(FaultKind::kCount);
  std::array<FaultRate, kKinds> rates_{};
  std::uint64_t seed_;
  mutable std::mutex mutex_;
  std::array<std::uint64_t, kKinds> events_{};
  std::array<std::uint64_t, kKinds> fired_{};
};

// A uniform double in [0, 1) from a 64-bit hash (for probability decisions).
double unit_interval(std::uint64_t hash);
// SplitMix64 finalizer: the simulator's one mixing function.
std::uint64_t mix64(std::uint64_t x);

}  // namespace gb::simulator
