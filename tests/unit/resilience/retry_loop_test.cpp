#include "resilience/retry_loop.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "testing/fake_clock.hpp"

namespace gb::resilience {
namespace {

using std::chrono::milliseconds;

RetryPolicy policy() {
  RetryPolicy p;
  p.max_attempts = 4;
  p.base_delay = milliseconds(100);
  p.max_delay = milliseconds(1000);
  return p;
}

TEST(Backoff, StaysWithinTheDoublingCeilingAndTheCap) {
  const RetryPolicy p = policy();
  for (int attempt = 1; attempt <= 70; ++attempt) {
    const std::int64_t ceiling = attempt >= 5 ? 1000 : 100 << (attempt - 1);
    for (int i = 0; i < 200; ++i) {
      const auto d = backoff_delay(p, attempt);
      ASSERT_GE(d.count(), 0);
      ASSERT_LE(d.count(), ceiling) << "attempt " << attempt;
    }
  }
}

TEST(Backoff, IsJitteredAcrossTheWholeRange) {
  const RetryPolicy p = policy();
  std::int64_t lo = 1'000'000, hi = -1;
  std::set<std::int64_t> distinct;
  for (int i = 0; i < 2000; ++i) {
    const auto d = backoff_delay(p, 4).count();  // ceiling 800
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    distinct.insert(d);
  }
  EXPECT_LT(lo, 100);
  EXPECT_GT(hi, 700);
  EXPECT_GT(distinct.size(), 100u);
}

TEST(Backoff, HugeAttemptsAndZeroBaseDoNotOverflow) {
  RetryPolicy p = policy();
  p.max_delay = milliseconds(std::numeric_limits<std::int64_t>::max() / 2);
  EXPECT_GE(backoff_delay(p, 1000).count(), 0);
  p.base_delay = milliseconds(0);
  EXPECT_EQ(backoff_delay(p, 10).count(), 0);
}

TEST(Backoff, ThreadSafe) {
  const RetryPolicy p = policy();
  std::vector<std::thread> threads;
  std::atomic<bool> bad{false};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        const auto d = backoff_delay(p, 3).count();
        if (d < 0 || d > 400) bad = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(bad);
}

TEST(DelayAfter, RetryAfterWinsOverBackoff) {
  const RetryPolicy p = policy();
  Error e = transient_error("429");
  e.retry_after = milliseconds(3000);
  EXPECT_EQ(delay_after(p, e, 1), milliseconds(3000));  // beyond the backoff cap: the server's wish wins
  e.retry_after = milliseconds(600'000);
  EXPECT_EQ(delay_after(p, e, 1), milliseconds(600'000));  // bounding it is the patience's job
  e.retry_after.reset();
  EXPECT_LE(delay_after(p, e, 1), milliseconds(100));
}

TEST(Retry, TransientIsRetriedUpToMaxAttempts) {
  FakeClock clock;
  std::vector<int> seen;
  int retries_told = 0;
  auto out = retry(
      policy(), clock,
      [&](int n) -> Result<int> {
        seen.push_back(n);
        return transient_error("503");
      },
      [&](const Error&, int, milliseconds) { ++retries_told; });
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "503");
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(retries_told, 3);
  EXPECT_LE(clock.total_slept(), milliseconds(100 + 200 + 400));
}

TEST(Retry, SucceedsAfterTransientFailures) {
  FakeClock clock;
  auto out = retry(policy(), clock, [&](int n) -> Result<int> {
    if (n < 3) return transient_error("reset");
    return n * 10;
  });
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, 30);
}

TEST(Retry, PermanentAndUnauthorizedReturnAtOnce) {
  for (ErrorKind kind :
       {ErrorKind::kPermanent, ErrorKind::kUnauthorized, ErrorKind::kInvalidInput, ErrorKind::kInternal}) {
    FakeClock clock;
    int calls = 0;
    auto out = retry(policy(), clock, [&](int) -> Result<int> {
      ++calls;
      return make_error(kind, "no");
    });
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(clock.total_slept(), milliseconds(0));
  }
}

TEST(Retry, UsesTheServersRetryAfter) {
  FakeClock clock;
  std::vector<milliseconds> delays;
  auto out = retry(
      policy(), clock,
      [&](int n) -> Result<int> {
        if (n == 3) return 1;
        Error e = transient_error("429");
        e.retry_after = n == 1 ? milliseconds(2000) : milliseconds(9000);
        return e;
      },
      [&](const Error&, int, milliseconds d) { delays.push_back(d); });
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(delays, (std::vector<milliseconds>{milliseconds(2000), milliseconds(9000)}));
  EXPECT_EQ(clock.total_slept(), milliseconds(11'000));
}

// An attempt as the real stack makes it: its outcome reported to the patience first.
Result<int> failing_call(Patience& patience, Error e) {
  patience.failed();
  return e;
}

TEST(RetryWithPatience, AnOutageIsWaitedOutPastMaxAttemptsUntilMaxOutage) {
  FakeClock clock;
  Patience patience(std::chrono::minutes(5), clock);
  int calls = 0;
  auto out = retry(
      policy(), patience, clock, [&](int) { return ++calls, failing_call(patience, transient_error("HTTP 503")); },
      [](const Error&, int, milliseconds) {});
  ASSERT_FALSE(out.ok());
  EXPECT_GT(calls, policy().max_attempts);                  // the outage, not the attempts, bounded it
  EXPECT_EQ(clock.total_slept(), std::chrono::minutes(5));  // the last try is at the deadline, not after it
  EXPECT_TRUE(out.error().transient());
  EXPECT_NE(out.error().message.find("every API call has failed for 5m00s"), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find("run the same command again"), std::string::npos);
}

TEST(RetryWithPatience, FailuresWhileTheApiAnswersCountAgainstMaxAttempts) {
  FakeClock clock;
  Patience patience(std::chrono::minutes(5), clock);
  int calls = 0;
  auto out = retry(
      policy(), patience, clock,
      [&](int) -> Result<int> {
        ++calls;
        patience.succeeded();  // the server answered 200; the body was not JSON
        return transient_error("not JSON");
      },
      [](const Error&, int, milliseconds) {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "not JSON");
  EXPECT_EQ(calls, policy().max_attempts);
}

TEST(RetryWithPatience, ARetryAfterLongerThanThePatienceLeftEndsAtOnce) {
  FakeClock clock;
  Patience patience(std::chrono::minutes(5), clock);
  int calls = 0;
  auto out = retry(
      policy(), patience, clock,
      [&](int) {
        ++calls;
        Error e = transient_error("too.many.requests");
        e.http_status = 429;
        e.retry_after = std::chrono::hours(24);
        return failing_call(patience, e);
      },
      [](const Error&, int, milliseconds) {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(clock.total_slept(), milliseconds(0));
  EXPECT_NE(out.error().message.find("asked to wait 1d00h"), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find("HTTP 429"), std::string::npos);
  EXPECT_EQ(out.error().retry_after, std::chrono::hours(24));  // for a worker's broker-held retry
}

}  // namespace
}  // namespace gb::resilience

namespace gb::resilience {
namespace {

TEST(RetryWithBounds, NoWaitEndsAfterTheDeadline) {
  FakeClock clock;
  Patience patience(std::chrono::minutes(5), clock);
  RetryPolicy p = policy();
  p.max_attempts = 100;
  bool deadline_hit = false;
  RetryBounds bounds;
  bounds.clock = &clock;
  bounds.limits.deadline = clock.now() + std::chrono::seconds(3);
  bounds.deadline_hit = &deadline_hit;
  int attempts = 0;
  auto out = retry(
      p, patience, clock, bounds,
      [&](int) -> Result<int> {
        ++attempts;
        Error e = transient_error("429");
        e.http_status = 429;
        e.retry_after = milliseconds(1000);
        return e;
      },
      [](const Error&, int, milliseconds) {});
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(out.error().transient());
  EXPECT_EQ(out.error().retry_after, milliseconds(1000));  // the server's wish, kept for the broker
  EXPECT_TRUE(deadline_hit);
  EXPECT_EQ(attempts, 4);  // at 0, 1, 2, 3 s; the next would start after the deadline
  EXPECT_LE(clock.total_slept(), std::chrono::seconds(3));
}

TEST(RetryWithBounds, RunningOutOfAttemptsIsNotTheDeadline) {
  FakeClock clock;
  Patience patience(std::chrono::minutes(5), clock);
  bool deadline_hit = false;
  RetryBounds bounds;
  bounds.clock = &clock;
  bounds.limits.deadline = clock.now() + std::chrono::hours(1);
  bounds.deadline_hit = &deadline_hit;
  auto out = retry(
      policy(), patience, clock, bounds, [&](int) -> Result<int> { return transient_error("cut short"); },
      [](const Error&, int, milliseconds) {});
  ASSERT_FALSE(out.ok());
  EXPECT_FALSE(deadline_hit);
}

TEST(RetryWithBounds, ACancelEndsTheLoopWithInterrupted) {
  FakeClock clock;
  Patience patience(std::chrono::minutes(5), clock);
  StopSignal cancel;
  RetryBounds bounds;
  bounds.limits.cancel = &cancel;
  int attempts = 0;
  auto out = retry(
      policy(), patience, clock, bounds,
      [&](int) -> Result<int> {
        ++attempts;
        cancel.request();  // the soft time limit fires during the first attempt
        return transient_error("503");
      },
      [](const Error&, int, milliseconds) {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::kInterrupted);
  EXPECT_EQ(attempts, 1);
  // Cancelled before it starts: no attempt at all.
  attempts = 0;
  auto again = retry(
      policy(), patience, clock, bounds, [&](int) -> Result<int> { return ++attempts; },
      [](const Error&, int, milliseconds) {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(attempts, 0);
}

}  // namespace
}  // namespace gb::resilience
