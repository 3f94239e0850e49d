#include "base/log.hpp"

#include <gtest/gtest.h>

namespace gb::log {
namespace {

TEST(Redact, MasksRegisteredSecretsAndAuthorizationValues) {
  register_secret("s3cr3t-value");
  const std::string line = redact("secret=s3cr3t-value auth=\"Bearer abc.def\" basic=Basic dXNlcjpwYXNz");
  EXPECT_EQ(line.find("s3cr3t-value"), std::string::npos);
  EXPECT_EQ(line.find("abc.def"), std::string::npos);
  EXPECT_EQ(line.find("dXNlcjpwYXNz"), std::string::npos);
  EXPECT_NE(line.find("Bearer ***"), std::string::npos);
}

TEST(Redact, IgnoresTooShortSecrets) {
  register_secret("ab");
  EXPECT_EQ(redact("abc"), "abc");
}

}  // namespace
}  // namespace gb::log
