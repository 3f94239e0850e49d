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
  p.max_retry_after = milliseconds(5000);
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

TEST(DelayAfter, RetryAfterWinsAndIsCapped) {
  const RetryPolicy p = policy();
  Error e = transient_error("429");
  e.retry_after = milliseconds(3000);
  EXPECT_EQ(delay_after(p, e, 1), milliseconds(3000));  // beyond the backoff cap, below the Retry-After cap
  e.retry_after = milliseconds(600'000);
  EXPECT_EQ(delay_after(p, e, 1), milliseconds(5000));
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

TEST(Retry, UsesTheServersRetryAfterCapped) {
  FakeClock clock;
  std::vector<milliseconds> delays;
  auto out = retry(
      policy(), clock,
      [&](int n) -> Result<int> {
        if (n == 3) return 1;
        Error e = transient_error("429");
        e.retry_after = n == 1 ? milliseconds(2000) : milliseconds(999'000);
        return e;
      },
      [&](const Error&, int, milliseconds d) { delays.push_back(d); });
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(delays, (std::vector<milliseconds>{milliseconds(2000), milliseconds(5000)}));
  EXPECT_EQ(clock.total_slept(), milliseconds(7000));
}

}  // namespace
}  // namespace gb::resilience
