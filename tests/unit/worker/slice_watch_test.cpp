#include "worker/slice_watch.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace gb::worker {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SliceWatch, CancelsWhenTheSoftLimitPasses) {
  StopSignal cancel;
  SliceWatch watch(cancel, milliseconds(30), {}, seconds(1));
  EXPECT_TRUE(cancel.wait_for(seconds(20)));
  EXPECT_TRUE(watch.fired());
}

TEST(SliceWatch, EndsQuietlyBeforeTheSoftLimit) {
  StopSignal cancel;
  {
    SliceWatch watch(cancel, seconds(60), {}, seconds(1));
    EXPECT_FALSE(watch.fired());
  }  // joins at once, not after a minute
  EXPECT_FALSE(cancel.requested());
}

TEST(SliceWatch, ServicesUntilDestroyed) {
  StopSignal cancel;
  std::atomic<int> calls{0};
  {
    SliceWatch watch(
        cancel, std::nullopt, [&] { ++calls; }, milliseconds(5));
    std::this_thread::sleep_for(milliseconds(100));
  }
  const int seen = calls.load();
  EXPECT_GE(seen, 3);
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_EQ(calls.load(), seen);
  EXPECT_FALSE(cancel.requested());
}

TEST(SliceWatch, SurvivesAServiceThatThrows) {
  StopSignal cancel;
  std::atomic<int> calls{0};
  {
    SliceWatch watch(
        cancel, milliseconds(40),
        [&] {
          ++calls;
          throw std::runtime_error("connection lost");
        },
        milliseconds(5));
    EXPECT_TRUE(cancel.wait_for(seconds(20)));
  }
  EXPECT_GE(calls.load(), 2);
}

TEST(SliceWatch, NothingToDoStartsNoThread) {
  StopSignal cancel;
  SliceWatch watch(cancel, std::nullopt, {}, milliseconds(1));
  EXPECT_FALSE(watch.fired());
}

}  // namespace
}  // namespace gb::worker
