#include "base/stop.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace gb {
namespace {

TEST(StopSignalTest, AWaitEndsWhenItsTimeIsUpIfNoStopIsRequested) {
  StopSignal stop;
  EXPECT_FALSE(stop.requested());
  EXPECT_FALSE(stop.wait_for(std::chrono::milliseconds(1)));
  EXPECT_FALSE(stop.wait_for(Duration::zero()));
}

TEST(StopSignalTest, ARequestEndsEveryWaitAtOnceAndStaysRequested) {
  StopSignal stop;
  std::vector<std::thread> waiters;
  std::atomic<int> woken{0};
  for (int i = 0; i < 4; ++i) {
    // An hour: if the request did not wake them, the test would hang (and time out).
    waiters.emplace_back([&] { woken += stop.wait_for(std::chrono::hours(1)) ? 1 : 0; });
  }
  stop.request();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(woken.load(), 4);
  EXPECT_TRUE(stop.requested());
  EXPECT_TRUE(stop.wait_for(std::chrono::hours(1)));
  stop.request();  // twice is harmless
  EXPECT_TRUE(stop.requested());
}

}  // namespace
}  // namespace gb
