#include "resilience/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "testing/fake_clock.hpp"

namespace gb::resilience {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

CircuitBreakerSettings settings() {
  CircuitBreakerSettings s;
  s.threshold = 3;
  s.cooldown = seconds(30);
  s.long_retry_after = seconds(60);
  return s;
}

void overloads(CircuitBreaker& b, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(b.allow());
    b.report(Outcome::kOverload);
  }
}

TEST(CircuitBreaker, OpensAfterThresholdConsecutiveOverloads) {
  FakeClock clock;
  CircuitBreaker b(settings(), clock);
  overloads(b, 2);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  overloads(b, 1);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_FALSE(b.allow());
  EXPECT_EQ(b.remaining_open(), seconds(30));
  EXPECT_STREQ(to_string(b.state()), "open");
}

TEST(CircuitBreaker, TellsItsListenerOfEveryStateChangeInOrder) {
  FakeClock clock;
  std::vector<std::string> changes;
  CircuitBreakerSettings s = settings();
  s.on_change = [&](BreakerState state, const char* why) {
    changes.push_back(std::string(to_string(state)) + ": " + why);
  };
  CircuitBreaker b(s, clock);
  overloads(b, 3);
  clock.advance(seconds(30));
  ASSERT_TRUE(b.allow());
  b.report(Outcome::kSuccess);
  EXPECT_EQ(changes, (std::vector<std::string>{"open: consecutive overload responses",
                                               "half-open: cooldown over, probing", "closed: probe succeeded"}));
}

TEST(CircuitBreaker, ASuccessResetsTheCount) {
  FakeClock clock;
  CircuitBreaker b(settings(), clock);
  overloads(b, 2);
  ASSERT_TRUE(b.allow());
  b.report(Outcome::kSuccess);
  overloads(b, 2);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  // Neutral outcomes neither reset nor count.
  ASSERT_TRUE(b.allow());
  b.report(Outcome::kNeutral);
  overloads(b, 1);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, OneProbeAfterCooldownThenClosesOnSuccess) {
  FakeClock clock;
  CircuitBreaker b(settings(), clock);
  overloads(b, 3);
  clock.advance(seconds(29));
  EXPECT_FALSE(b.allow());
  clock.advance(seconds(1));
  EXPECT_TRUE(b.allow());  // the probe
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_FALSE(b.allow());  // only one caller passes while it is out
  EXPECT_FALSE(b.allow());
  b.report(Outcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(b.allow());
  EXPECT_TRUE(b.allow());
}

TEST(CircuitBreaker, ReopensWhenTheProbeIsOverloaded) {
  FakeClock clock;
  CircuitBreaker b(settings(), clock);
  overloads(b, 3);
  clock.advance(seconds(30));
  ASSERT_TRUE(b.allow());
  b.report(Outcome::kOverload);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.remaining_open(), seconds(30));
  EXPECT_FALSE(b.allow());
  clock.advance(seconds(30));
  ASSERT_TRUE(b.allow());
  b.report(Outcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, NeutralProbeLetsTheNextCallerProbe) {
  FakeClock clock;
  CircuitBreaker b(settings(), clock);
  overloads(b, 3);
  clock.advance(seconds(30));
  ASSERT_TRUE(b.allow());
  b.report(Outcome::kNeutral);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_TRUE(b.allow());
  EXPECT_FALSE(b.allow());
}

TEST(CircuitBreaker, LongRetryAfterOpensAtOnceForThatLong) {
  FakeClock clock;
  CircuitBreaker b(settings(), clock);
  ASSERT_TRUE(b.allow());
  b.report(Outcome::kOverload, seconds(90));
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.remaining_open(), seconds(90));
  clock.advance(seconds(89));
  EXPECT_FALSE(b.allow());
  clock.advance(seconds(1));
  EXPECT_TRUE(b.allow());
}

TEST(CircuitBreaker, ShortRetryAfterCountsAsOneOverload) {
  FakeClock clock;
  CircuitBreaker b(settings(), clock);
  ASSERT_TRUE(b.allow());
  b.report(Outcome::kOverload, seconds(2));
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, LateReportsWhileOpenChangeNothing) {
  FakeClock clock;
  CircuitBreaker b(settings(), clock);
  overloads(b, 3);
  b.report(Outcome::kSuccess);  // a call that started before it opened
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, ExactlyOneProbeUnderContention) {
  FakeClock clock;
  CircuitBreaker b(settings(), clock);
  overloads(b, 3);
  clock.advance(seconds(30));
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (b.allow()) passed.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(passed.load(), 1);
}

TEST(CircuitBreaker, RejectsZeroThreshold) {
  FakeClock clock;
  CircuitBreakerSettings s;
  s.threshold = 0;
  EXPECT_THROW(CircuitBreaker(s, clock), std::invalid_argument);
}

}  // namespace
}  // namespace gb::resilience
