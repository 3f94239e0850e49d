#include "worker/time_limits.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace gb::worker {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(SliceTimes, TheTaskSliceByDefault) {
  const SliceTimes t = slice_times(Task{}, TimeLimitSettings{});
  EXPECT_EQ(t.budget, minutes(5));
  EXPECT_FALSE(t.soft.has_value());
  EXPECT_FALSE(t.hard.has_value());
}

TEST(SliceTimes, FlagsApply) {
  TimeLimitSettings s;
  s.task_slice = seconds(90);
  s.soft = seconds(60);
  s.hard = seconds(900);
  const SliceTimes t = slice_times(Task{}, s);
  EXPECT_EQ(t.budget, seconds(90));
  EXPECT_EQ(t.soft, seconds(60));
  EXPECT_EQ(t.hard, seconds(900));
}

TEST(SliceTimes, TheMessageWinsOverTheFlags) {
  TimeLimitSettings s;
  s.soft = seconds(60);
  s.hard = seconds(900);
  Task task;
  task.soft_limit_s = 12.5;
  task.hard_limit_s = 600;
  const SliceTimes t = slice_times(task, s);
  EXPECT_EQ(t.soft, milliseconds(12'500));
  EXPECT_EQ(t.hard, seconds(600));
}

TEST(SliceTimes, NonsenseInTheMessageMeansNoLimit) {
  Task task;
  task.soft_limit_s = -1;
  task.hard_limit_s = std::numeric_limits<double>::quiet_NaN();
  TimeLimitSettings s;
  s.soft = seconds(60);
  s.hard = seconds(900);  // the message said something: the flags do not apply
  const SliceTimes t = slice_times(task, s);
  EXPECT_FALSE(t.soft.has_value());
  EXPECT_FALSE(t.hard.has_value());
  task.hard_limit_s = 1e300;
  EXPECT_FALSE(slice_times(task, s).hard.has_value());
}

TEST(SliceTimes, ASliceEndsWellBeforeTheHardLimit) {
  TimeLimitSettings s;
  s.hard = seconds(100);
  EXPECT_EQ(slice_times(Task{}, s).budget, seconds(80));
  s.task_slice = seconds(30);
  EXPECT_EQ(slice_times(Task{}, s).budget, seconds(30));
  s.hard = milliseconds(1);
  EXPECT_EQ(slice_times(Task{}, s).budget, milliseconds(1));
}

}  // namespace
}  // namespace gb::worker
