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

namespace gb {
namespace {

TEST(CancellableSleep, TheSystemSleeperWakesWhenItsCancelIsRequested) {
  StopSignal cancel;
  const auto start = std::chrono::steady_clock::now();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel.request();
  });
  // An hour: if the cancel did not wake it, the test would hang (and time out).
  EXPECT_TRUE(system_sleeper().sleep_or_cancel(std::chrono::hours(1), &cancel));
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_FALSE(process_stop().requested());
}

TEST(CancellableSleep, WithoutACancelItSleepsItsTime) {
  StopSignal cancel;
  EXPECT_FALSE(system_sleeper().sleep_or_cancel(std::chrono::milliseconds(1), &cancel));
  EXPECT_FALSE(system_sleeper().sleep_or_cancel(std::chrono::milliseconds(1), nullptr));
}

TEST(CancellableSleep, WaitingOnTwoSignalsEndsWithEither) {
  StopSignal one, two;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    two.request();
  });
  EXPECT_TRUE(one.wait_for(std::chrono::hours(1), &two));
  t.join();
  EXPECT_FALSE(one.requested());
}

}  // namespace
}  // namespace gb
