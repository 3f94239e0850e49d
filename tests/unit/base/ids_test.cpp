#include "base/ids.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gb {
namespace {

TEST(Ids, AcceptsUuidsAndPlainNames) {
  EXPECT_TRUE(is_valid_id("4f1c2a9e-0b7d-4c55-9a51-2b7b0f3c9d11"));
  EXPECT_TRUE(is_valid_id("chunk_0001"));
}

TEST(Ids, RejectsWhatCouldEscapeAUrlPathOrFileName) {
  EXPECT_FALSE(is_valid_id(""));
  EXPECT_FALSE(is_valid_id(".."));
  EXPECT_FALSE(is_valid_id("a/b"));
  EXPECT_FALSE(is_valid_id("a?b=c"));
  EXPECT_FALSE(is_valid_id("a b"));
  EXPECT_FALSE(is_valid_id(std::string(129, 'a')));
}

TEST(Ids, TaskIdsAreVisibleAsciiUpTo255Bytes) {
  EXPECT_TRUE(is_valid_task_id("4f1c2a9e-0b7d-4c55-9a51-2b7b0f3c9d11"));
  EXPECT_TRUE(is_valid_task_id("job:42/part#1"));
  EXPECT_TRUE(is_valid_task_id(std::string(255, 'a')));
  EXPECT_FALSE(is_valid_task_id(""));
  EXPECT_FALSE(is_valid_task_id(std::string(256, 'a')));
  EXPECT_FALSE(is_valid_task_id("a b"));
  EXPECT_FALSE(is_valid_task_id("a\nb"));
  EXPECT_FALSE(is_valid_task_id("caf\xc3\xa9"));
  EXPECT_FALSE(is_valid_task_id(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace gb
