#include "resilience/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "testing/fake_clock.hpp"

namespace gb::resilience {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

RateLimiterSettings small(int n) {
  RateLimiterSettings s;
  s.requests_per_window = n;
  s.window = seconds(60);
  return s;
}

TEST(RateLimiter, GrantsTheBudgetThenWaitsForTheWindow) {
  FakeClock clock;
  LocalRateLimiter limiter(small(5), clock, clock);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.acquire({}).ok());
  EXPECT_EQ(clock.total_slept(), seconds(0));
  EXPECT_EQ(limiter.in_window(), 5);
  EXPECT_TRUE(limiter.acquire({}).ok());  // the 6th waits until the 1st leaves the window
  EXPECT_EQ(clock.total_slept(), seconds(60));
}

TEST(RateLimiter, SlidingWindow) {
  FakeClock clock;
  LocalRateLimiter limiter(small(3), clock, clock);
  EXPECT_TRUE(limiter.acquire({}).ok());
  clock.advance(seconds(20));
  EXPECT_TRUE(limiter.acquire({}).ok());
  clock.advance(seconds(20));
  EXPECT_TRUE(limiter.acquire({}).ok());
  const auto before = clock.total_slept();
  EXPECT_TRUE(limiter.acquire({}).ok());  // the first grant (at t=0) leaves at t=60; now is t=40
  EXPECT_EQ(clock.total_slept() - before, seconds(20));
}

TEST(RateLimiter, DefaultIs300PerMinute) {
  FakeClock clock;
  LocalRateLimiter limiter({}, clock, clock);
  for (int i = 0; i < 600; ++i) EXPECT_TRUE(limiter.acquire({}).ok());
  EXPECT_EQ(clock.total_slept(), seconds(60));
}

TEST(RateLimiter, SlowsDownWhenFewRemain) {
  FakeClock clock;
  LocalRateLimiter limiter(small(300), clock, clock);
  EXPECT_TRUE(limiter.acquire({}).ok());
  limiter.observe({.remaining = 4, .reset = milliseconds(20'000)});  // 4 left in 20 s: one per 5 s
  const auto start = clock.total_slept();
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limiter.acquire({}).ok());
  EXPECT_EQ(clock.total_slept() - start, seconds(20));
}

TEST(RateLimiter, PlentyRemainingLiftsTheSlowDown) {
  FakeClock clock;
  LocalRateLimiter limiter(small(300), clock, clock);
  EXPECT_TRUE(limiter.acquire({}).ok());
  limiter.observe({.remaining = 2, .reset = milliseconds(30'000)});
  limiter.observe({.remaining = 250, .reset = milliseconds(60'000)});
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.acquire({}).ok());
  EXPECT_EQ(clock.total_slept(), seconds(0));
}

TEST(RateLimiter, SpentBudgetWaitsForTheReset) {
  FakeClock clock;
  LocalRateLimiter limiter(small(300), clock, clock);
  limiter.observe({.remaining = 0, .reset = milliseconds(12'000)});
  EXPECT_TRUE(limiter.acquire({}).ok());
  EXPECT_EQ(clock.total_slept(), seconds(12));
  EXPECT_TRUE(limiter.acquire({}).ok());  // after the reset, the local window is the only limit
  EXPECT_EQ(clock.total_slept(), seconds(12));
}

TEST(RateLimiter, NoResetGivenUsesTheWindow) {
  FakeClock clock;
  LocalRateLimiter limiter(small(300), clock, clock);
  limiter.observe({.remaining = 0, .reset = std::nullopt});
  EXPECT_TRUE(limiter.acquire({}).ok());
  EXPECT_EQ(clock.total_slept(), seconds(60));
  limiter.observe({.remaining = std::nullopt, .reset = milliseconds(1)});  // says nothing: ignored
  EXPECT_TRUE(limiter.acquire({}).ok());
  EXPECT_EQ(clock.total_slept(), seconds(60));
}

TEST(RateLimiter, APauseLongerThanTheWindowIsCutToTheWindow) {
  // A Retry-After of a day is the retry loop's to honour (or to end the run
  // with): no caller of acquire() sleeps through it.
  FakeClock clock;
  LocalRateLimiter limiter(small(300), clock, clock);
  limiter.observe({.remaining = 0, .reset = std::chrono::hours(24)});
  EXPECT_TRUE(limiter.acquire({}).ok());
  EXPECT_EQ(clock.total_slept(), seconds(60));
}

TEST(RateLimiter, SharedByManyThreadsNeverOverGrants) {
  // Real time would make this slow: a FakeClock that sleeping advances keeps
  // it instant, and the sliding window must still hold per 60 s of fake time.
  FakeClock clock;
  LocalRateLimiter limiter(small(50), clock, clock);
  std::vector<std::thread> threads;
  std::mutex m;
  std::vector<SteadyTime> grants;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(limiter.acquire({}).ok());
        std::lock_guard lock(m);
        grants.push_back(clock.now());
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(grants.size(), 200u);
  EXPECT_GE(clock.total_slept(), seconds(180));  // 200 grants at 50/min need at least 3 more windows
}

TEST(RateLimiter, RejectsNonsenseSettings) {
  FakeClock clock;
  EXPECT_THROW(LocalRateLimiter(small(0), clock, clock), std::invalid_argument);
  RateLimiterSettings s = small(1);
  s.window = milliseconds(0);
  EXPECT_THROW(LocalRateLimiter(s, clock, clock), std::invalid_argument);
}

}  // namespace
}  // namespace gb::resilience

namespace gb::resilience {
namespace {

TEST(RateLimiterBounds, NeverWaitsPastTheDeadline) {
  FakeClock clock;
  LocalRateLimiter limiter(small(1), clock, clock);
  EXPECT_TRUE(limiter.acquire({}).ok());
  CallLimits limits;
  limits.deadline = clock.now() + seconds(10);
  auto refused = limiter.acquire(limits);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kTransient);
  EXPECT_TRUE(refused.error().not_sent);  // nothing went out: even a create may be tried again
  EXPECT_EQ(refused.error().retry_after, milliseconds(60'000));
  EXPECT_EQ(clock.total_slept(), seconds(0));
  limits.deadline = clock.now() + seconds(61);
  EXPECT_TRUE(limiter.acquire(limits).ok());
  EXPECT_EQ(clock.total_slept(), seconds(60));
}

TEST(RateLimiterBounds, ACancelEndsTheWait) {
  FakeClock clock;
  LocalRateLimiter limiter(small(1), clock, clock);
  EXPECT_TRUE(limiter.acquire({}).ok());
  StopSignal cancel;
  cancel.request();
  CallLimits limits;
  limits.cancel = &cancel;
  auto refused = limiter.acquire(limits);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kInterrupted);
  EXPECT_EQ(clock.total_slept(), seconds(0));
}

}  // namespace
}  // namespace gb::resilience
