#include "resilience/patience.hpp"

#include <gtest/gtest.h>

#include "testing/fake_clock.hpp"

namespace gb::resilience {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

Error overloaded(std::optional<milliseconds> retry_after = std::nullopt) {
  Error e = transient_error("get job status: service.unavailable");
  e.http_status = 503;
  e.retry_after = retry_after;
  return e;
}

TEST(Patience, WaitsAreCutToWhatIsLeftAndTheOutageEndsAtMaxOutage) {
  FakeClock clock;
  Patience patience(minutes(5), clock);
  patience.failed();
  EXPECT_TRUE(patience.in_outage());
  EXPECT_EQ(patience.before_retry(overloaded(), seconds(30)).value(), seconds(30));
  clock.advance(minutes(4));
  patience.failed();  // still failing: the outage counts from its first failure
  EXPECT_EQ(patience.before_retry(overloaded(), seconds(90)).value(), minutes(1));
  clock.advance(minutes(1));
  auto ended = patience.before_retry(overloaded(), seconds(1));
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(ended.error().message,
            "every API call has failed for 5m00s (--max-outage 5m00s); the last: HTTP 503: get job status: "
            "service.unavailable; run the same command again to resume");
}

TEST(Patience, AnAnswerEndsTheOutageAndTheNextOneStartsAfresh) {
  FakeClock clock;
  Patience patience(minutes(5), clock);
  patience.failed();
  clock.advance(minutes(4));
  patience.succeeded();
  EXPECT_FALSE(patience.in_outage());
  clock.advance(minutes(10));
  patience.failed();
  clock.advance(minutes(4));
  EXPECT_TRUE(patience.before_retry(overloaded(), seconds(10)).ok());
}

TEST(Patience, ARetryAfterBeyondWhatIsLeftEndsAtOnceSayingWhatTheServerAskedFor) {
  FakeClock clock;
  Patience patience(minutes(5), clock);
  patience.failed();
  clock.advance(minutes(2));
  // 3 minutes are left: a 3-minute wait is honoured whole, a longer one ends the run.
  EXPECT_EQ(patience.before_retry(overloaded(minutes(3)), minutes(3)).value(), minutes(3));
  auto ended = patience.before_retry(overloaded(seconds(181)), seconds(181));
  ASSERT_FALSE(ended.ok());
  EXPECT_NE(ended.error().message.find("the server asked to wait 3m01s before trying again, more than the 3m00s "
                                       "left of --max-outage (HTTP 503: "),
            std::string::npos)
      << ended.error().message;
  EXPECT_EQ(ended.error().retry_after, seconds(181));
}

TEST(Patience, OnceSpentEveryCallerGetsTheSameError) {
  FakeClock clock;
  Patience patience(minutes(5), clock);
  EXPECT_FALSE(patience.spent());
  patience.failed();
  auto first = patience.before_retry(overloaded(std::chrono::hours(24)), std::chrono::hours(24));
  ASSERT_FALSE(first.ok());
  patience.succeeded();  // a late answer does not revive the run
  auto again = patience.before_retry(transient_error("reset"), seconds(1));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, first.error().message);
  ASSERT_TRUE(patience.spent());
  EXPECT_EQ(patience.spent()->message, first.error().message);
}

TEST(Patience, TheFailureNamedIsTheServersNotTheBreakersRefusalThatFollowedIt) {
  FakeClock clock;
  Patience patience(minutes(1), clock);
  patience.failed();
  ASSERT_TRUE(patience.before_retry(overloaded(), seconds(30)).ok());
  clock.advance(minutes(1));
  Error refused = transient_error("circuit breaker open: API calls paused after repeated 429/503");
  refused.not_sent = true;
  auto ended = patience.before_retry(refused, seconds(1));
  ASSERT_FALSE(ended.ok());
  EXPECT_NE(ended.error().message.find("the last: HTTP 503: get job status"), std::string::npos)
      << ended.error().message;
}

TEST(Patience, OurBreakersCoolDownIsCutToWhatIsLeftNotTakenAsTheServersAsk) {
  FakeClock clock;
  Patience patience(minutes(5), clock);
  patience.failed();
  clock.advance(seconds(290));
  Error refused = transient_error("circuit breaker open: API calls paused after repeated 429/503");
  refused.retry_after = seconds(30);
  EXPECT_EQ(patience.before_retry(refused, seconds(30)).value(), seconds(10));
}

TEST(Patience, HumanDurations) {
  EXPECT_EQ(human_duration(milliseconds(0)), "0s");
  EXPECT_EQ(human_duration(milliseconds(1500)), "2s");
  EXPECT_EQ(human_duration(seconds(245)), "4m05s");
  EXPECT_EQ(human_duration(std::chrono::hours(2)), "2h00m");
  EXPECT_EQ(human_duration(std::chrono::hours(76)), "3d04h");
}

}  // namespace
}  // namespace gb::resilience
