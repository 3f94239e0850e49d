#include "base/result.hpp"

#include <gtest/gtest.h>

namespace gb {
namespace {

TEST(Result, HoldsValueOrError) {
  Result<int> good = 42;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);

  Result<int> bad = transient_error("reset by peer");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().transient());
}

TEST(Error, DescribesStatusAndCorrelation) {
  Error e = permanent_error("job not found");
  e.http_status = 404;
  e.correlation_id = "abc-123";
  EXPECT_EQ(e.describe(), "permanent: HTTP 404: job not found (correlation abc-123)");
}

}  // namespace
}  // namespace gb
