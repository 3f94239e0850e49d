#include "worker/delay_ladder.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace gb::worker {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(DelayLadder, NamesItsQueuesAfterTheWorkQueue) {
  const DelayLadder ladder("genesys-bulk");
  std::vector<std::string> names;
  for (const auto& step : ladder.steps()) names.push_back(step.queue);
  EXPECT_EQ(names, (std::vector<std::string>{"genesys-bulk.delay.1s", "genesys-bulk.delay.5s", "genesys-bulk.delay.15s",
                                             "genesys-bulk.delay.1m", "genesys-bulk.delay.5m", "genesys-bulk.delay.15m",
                                             "genesys-bulk.delay.1h"}));
}

TEST(DelayLadder, LabelsDelays) {
  EXPECT_EQ(delay_label(milliseconds(1500)), "1500ms");
  EXPECT_EQ(delay_label(seconds(90)), "90s");
  EXPECT_EQ(delay_label(minutes(120)), "2h");
  EXPECT_EQ(delay_label(milliseconds(0)), "0ms");
}

TEST(DelayLadder, PicksTheLargestStepNotAboveTheDelay) {
  const DelayLadder ladder("q");
  EXPECT_EQ(ladder.step_for(milliseconds(1)).ttl, seconds(1));  // under the smallest: the smallest
  EXPECT_EQ(ladder.step_for(seconds(1)).ttl, seconds(1));
  EXPECT_EQ(ladder.step_for(milliseconds(4999)).ttl, seconds(1));
  EXPECT_EQ(ladder.step_for(seconds(5)).ttl, seconds(5));
  EXPECT_EQ(ladder.step_for(seconds(59)).ttl, seconds(15));
  EXPECT_EQ(ladder.step_for(minutes(14)).ttl, minutes(5));
  EXPECT_EQ(ladder.step_for(hours(30)).ttl, hours(1));
}

TEST(DelayLadder, PlansFromTheEta) {
  const DelayLadder ladder("q");
  const WallTime now{seconds(1'000'000)};
  EXPECT_EQ(ladder.plan(std::nullopt, now).step, nullptr);
  EXPECT_EQ(ladder.plan(now - seconds(3), now).step, nullptr);         // overdue: run now
  EXPECT_EQ(ladder.plan(now + milliseconds(150), now).step, nullptr);  // within the tolerance
  const Parking p = ladder.plan(now + milliseconds(250), now);         // just beyond: the smallest step
  ASSERT_NE(p.step, nullptr);
  EXPECT_EQ(p.step->ttl, seconds(1));
  EXPECT_EQ(p.remaining, milliseconds(250));
  EXPECT_EQ(ladder.plan(now + seconds(40), now).step->queue, "q.delay.15s");
}

// A message parked repeatedly reaches its eta without ever coming back late
// by more than the smallest step, in a handful of hops.
TEST(DelayLadder, ReachesAnyEtaInFewHopsAndNeverLate) {
  const DelayLadder ladder("q");
  for (const milliseconds delay : {milliseconds(300), milliseconds(seconds(7)), milliseconds(seconds(59)),
                                   milliseconds(minutes(14)), milliseconds(hours(3) + minutes(7))}) {
    const WallTime start{seconds(1'000'000)};
    const WallTime eta = start + delay;
    WallTime now = start;
    int hops = 0;
    for (Parking p = ladder.plan(eta, now); p.step != nullptr; p = ladder.plan(eta, now)) {
      now += p.step->ttl;
      ++hops;
      ASSERT_LT(hops, 20) << delay.count();
    }
    EXPECT_GE(now, eta - milliseconds(200)) << delay.count();
    EXPECT_LE(now, eta + seconds(1)) << delay.count();
    EXPECT_LE(hops, 12) << delay.count();
  }
}

TEST(DelayLadder, DeclaresQueuesThatDeadLetterBackToTheWorkQueue) {
  const DelayLadder ladder("genesys-bulk");
  const FieldTable args = ladder.queue_arguments(ladder.steps()[2]);
  ASSERT_NE(find_field(args, "x-message-ttl"), nullptr);
  EXPECT_EQ(*find_field(args, "x-message-ttl")->as_int(), 15'000);
  EXPECT_EQ(*find_field(args, "x-dead-letter-exchange")->as_string(), "");
  EXPECT_EQ(*find_field(args, "x-dead-letter-routing-key")->as_string(), "genesys-bulk");
  EXPECT_EQ(args.size(), 3U);
}

TEST(DelayLadder, SortsDeduplicatesAndRefusesNonsense) {
  const DelayLadder ladder("q", {seconds(30), seconds(2), seconds(30)});
  ASSERT_EQ(ladder.steps().size(), 2U);
  EXPECT_EQ(ladder.steps()[0].queue, "q.delay.2s");
  EXPECT_THROW(DelayLadder("q", {}), std::invalid_argument);
  EXPECT_THROW(DelayLadder("q", {milliseconds(0), seconds(1)}), std::invalid_argument);
}

TEST(DelayLadder, StripsDeadLetteringHeaders) {
  FieldTable headers{{"task", "t"},
                     {"x-death", FieldArray{}},
                     {"x-first-death-queue", "q.delay.1s"},
                     {"x-last-death-reason", "expired"},
                     {"retries", 2}};
  strip_dead_letter_headers(headers);
  ASSERT_EQ(headers.size(), 2U);
  EXPECT_EQ(headers[0].first, "task");
  EXPECT_EQ(headers[1].first, "retries");
}

}  // namespace
}  // namespace gb::worker
