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

}  // namespace
}  // namespace gb
