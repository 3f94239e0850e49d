#include "api/detail/encoding.hpp"

#include <gtest/gtest.h>

namespace gb::api::detail {
namespace {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
  EXPECT_EQ(base64_encode("sim-client:sim-secret"), "c2ltLWNsaWVudDpzaW0tc2VjcmV0");
}

TEST(UrlEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(url_encode("abc-._~XYZ019"), "abc-._~XYZ019");
  EXPECT_EQ(url_encode("a b&c=d/e+f?%"), "a%20b%26c%3Dd%2Fe%2Bf%3F%25");
  EXPECT_EQ(url_encode("\xc3\xa9"), "%C3%A9");
}

}  // namespace
}  // namespace gb::api::detail
