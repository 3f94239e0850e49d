#include "worker/retry_policy.hpp"

#include <gtest/gtest.h>

namespace gb::worker {
namespace {

using std::chrono::milliseconds;
using Kind = RetryDecision::Kind;

// Always the top of the range: the ceiling of the full jitter.
std::int64_t highest(std::int64_t /*lo*/, std::int64_t hi) {
  return hi;
}

RetrySettings settings() {
  RetrySettings s;
  s.max_retries = 3;
  s.base = milliseconds(1000);
  s.cap = milliseconds(5000);
  return s;
}

Error http_error(ErrorKind kind, int status) {
  Error e = make_error(kind, "boom");
  e.http_status = status;
  return e;
}

TEST(RetryPolicy, BackoffDoublesUpToTheCapWithFullJitter) {
  const RetryPolicy top(settings(), highest);
  EXPECT_EQ(top.backoff(0), milliseconds(1000));
  EXPECT_EQ(top.backoff(1), milliseconds(2000));
  EXPECT_EQ(top.backoff(2), milliseconds(4000));
  EXPECT_EQ(top.backoff(3), milliseconds(5000));
  EXPECT_EQ(top.backoff(500), milliseconds(5000));
  std::int64_t asked_lo = -1;
  std::int64_t asked_hi = -1;
  const RetryPolicy spy(settings(), [&](std::int64_t lo, std::int64_t hi) {
    asked_lo = lo;
    asked_hi = hi;
    return lo;
  });
  EXPECT_EQ(spy.backoff(1), milliseconds(0));
  EXPECT_EQ(asked_lo, 0);
  EXPECT_EQ(asked_hi, 2000);
}

TEST(RetryPolicy, RealRandomnessStaysInRange) {
  const RetryPolicy policy(settings());
  for (int i = 0; i < 500; ++i) {
    const auto d = policy.backoff(i % 5);
    ASSERT_GE(d.count(), 0);
    ASSERT_LE(d.count(), 5000);
  }
}

TEST(RetryPolicy, TransientFailuresAreRetriedUpToMaxRetries) {
  const RetryPolicy policy(settings(), highest);
  const Error e = http_error(ErrorKind::kTransient, 503);
  for (int retries = 0; retries < 3; ++retries) {
    const RetryDecision d = policy.decide(e, retries);
    EXPECT_EQ(d.kind, Kind::kRetry) << retries;
    EXPECT_EQ(d.delay, policy.backoff(retries));
  }
  const RetryDecision last = policy.decide(e, 3);
  EXPECT_EQ(last.kind, Kind::kDeadLetter);
  EXPECT_NE(last.reason.find("gave up after 3 retries"), std::string::npos) << last.reason;
  EXPECT_NE(last.reason.find("HTTP 503"), std::string::npos) << last.reason;
}

TEST(RetryPolicy, RetryAfterIsAFloor) {
  const RetryPolicy low(settings(), [](std::int64_t lo, std::int64_t) { return lo; });
  Error e = http_error(ErrorKind::kTransient, 429);
  e.retry_after = milliseconds(30'000);  // beyond the cap: still honoured
  EXPECT_EQ(low.decide(e, 0).delay, milliseconds(30'000));
  const RetryPolicy top(settings(), highest);
  e.retry_after = milliseconds(10);  // shorter than the backoff: the backoff stands
  EXPECT_EQ(top.decide(e, 1).delay, milliseconds(2000));
}

TEST(RetryPolicy, PermanentFailuresGoToTheDeadLettersAtOnce) {
  const RetryPolicy policy(settings(), highest);
  for (const Error& e : {http_error(ErrorKind::kPermanent, 400), http_error(ErrorKind::kPermanent, 403),
                         http_error(ErrorKind::kPermanent, 404), http_error(ErrorKind::kPermanent, 401),
                         http_error(ErrorKind::kUnauthorized, 401), invalid_input("job_id missing")}) {
    EXPECT_TRUE(is_permanent(e)) << e.describe();
    EXPECT_EQ(policy.decide(e, 0).kind, Kind::kDeadLetter) << e.describe();
  }
}

TEST(RetryPolicy, LocalFailuresAreRetriedAndInterruptionsHandedBack) {
  const RetryPolicy policy(settings(), highest);
  EXPECT_EQ(policy.decide(internal_error("database is locked"), 0).kind, Kind::kRetry);
  EXPECT_EQ(policy.decide(internal_error("database is locked"), 3).kind, Kind::kDeadLetter);
  EXPECT_EQ(policy.decide(interrupted_error("stopping"), 0).kind, Kind::kRequeue);
  EXPECT_EQ(policy.decide(interrupted_error("stopping"), 99).kind, Kind::kRequeue);  // never counted
}

TEST(RetryPolicy, ZeroMaxRetriesDeadLettersTheFirstFailure) {
  RetrySettings s = settings();
  s.max_retries = 0;
  EXPECT_EQ(RetryPolicy(s, highest).decide(transient_error("reset"), 0).kind, Kind::kDeadLetter);
}

}  // namespace
}  // namespace gb::worker
