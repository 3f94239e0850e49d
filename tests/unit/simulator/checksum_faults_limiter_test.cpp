#include <gtest/gtest.h>

#include "base/clock.hpp"
#include "simulator/checksum.hpp"
#include "simulator/faults.hpp"
#include "simulator/rate_limiter.hpp"
#include "testing/fake_clock.hpp"

namespace gb::simulator {
namespace {

TEST(ChecksumTest, IsSumOfFnv1a64AndOrderIndependent) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(key_checksum({"a", "b"}), fnv1a64("a") + fnv1a64("b"));
  EXPECT_EQ(key_checksum({"a", "b", "c"}), key_checksum({"c", "a", "b"}));
  EXPECT_NE(key_checksum({"a", "b"}), key_checksum({"a", "b", "b"}));
  EXPECT_EQ(checksum_hex(0xabcULL), "0000000000000abc");
  KeyChecksum sum;
  sum.add("a");
  sum.add("b");
  EXPECT_EQ(sum.value(), key_checksum({"b", "a"}));
  EXPECT_EQ(sum.count(), 2u);
}

TEST(FaultRateTest, ParsesProbabilitiesAndCounts) {
  EXPECT_DOUBLE_EQ(parse_fault_rate("0.25")->probability, 0.25);
  EXPECT_EQ(parse_fault_rate("3")->count, 3u);
  EXPECT_FALSE(parse_fault_rate("0")->active());
  EXPECT_FALSE(parse_fault_rate("1.5").ok());
  EXPECT_FALSE(parse_fault_rate("-1").ok());
  EXPECT_FALSE(parse_fault_rate("abc").ok());
  EXPECT_FALSE(parse_fault_rate("").ok());
}

TEST(FaultSchedulerTest, CountFiresOnTheFirstEventsOnly) {
  Faults f;
  f.server_error.count = 2;
  FaultScheduler s(f, 1);
  EXPECT_TRUE(s.fire(FaultKind::kServerError));
  EXPECT_TRUE(s.fire(FaultKind::kServerError));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(s.fire(FaultKind::kServerError));
  EXPECT_EQ(s.fired(FaultKind::kServerError), 2u);
  EXPECT_FALSE(s.fire(FaultKind::kSlow));  // inactive kinds never fire
}

TEST(FaultSchedulerTest, ProbabilityIsDeterministicAndRoughlyRight) {
  Faults f;
  f.too_many_requests.probability = 0.2;
  FaultScheduler a(f, 42), b(f, 42), c(f, 43);
  int hits = 0, same = 0, same_other_seed = 0;
  for (int i = 0; i < 5000; ++i) {
    const bool x = a.fire(FaultKind::kTooManyRequests);
    same += x == b.fire(FaultKind::kTooManyRequests);
    same_other_seed += x == c.fire(FaultKind::kTooManyRequests);
    hits += x;
  }
  EXPECT_EQ(same, 5000);
  EXPECT_LT(same_other_seed, 5000);
  EXPECT_GT(hits, 850);
  EXPECT_LT(hits, 1150);
  Faults always;
  always.slow.probability = 1.0;
  FaultScheduler d(always, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(d.fire(FaultKind::kSlow));
}

TEST(RateLimiterTest, SpendsTheBudgetThenRefusesUntilTheWindowResets) {
  FakeClock clock;
  RateLimiter limiter(3, std::chrono::seconds(60), clock);
  for (int i = 1; i <= 3; ++i) {
    auto d = limiter.take();
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.count, i);
    EXPECT_EQ(d.budget, 3);
    EXPECT_EQ(d.remaining(), 3 - i);
    EXPECT_EQ(d.reset_seconds, 60);
  }
  clock.advance(std::chrono::milliseconds(20500));
  auto refused = limiter.take();
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining(), 0);
  EXPECT_EQ(refused.reset_seconds, 40);  // 39.5 s rounded up
  clock.advance(std::chrono::seconds(40));
  auto next = limiter.take();
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.count, 1);
}

TEST(RateLimiterTest, ZeroBudgetMeansNoLimit) {
  FakeClock clock;
  RateLimiter limiter(0, std::chrono::seconds(1), clock);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.take().allowed);
}

}  // namespace
}  // namespace gb::simulator
