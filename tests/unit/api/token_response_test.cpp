// The login service's answers, read on their own (the cache that asks is
// tested against the simulator in token_cache_test.cpp).
#include "api/detail/token_response.hpp"

#include <gtest/gtest.h>

namespace gb::api::detail {
namespace {

TEST(TokenResponse, ReadsTheTokenAndItsLifetimeInAnyFieldOrder) {
  std::string body = R"({"token_type":"bearer","expires_in":86399,"access_token":"eyJh.c2lt.sig"})";
  auto grant = parse_token_response(body);
  ASSERT_TRUE(grant.ok()) << grant.error().describe();
  EXPECT_EQ(grant->access_token, "eyJh.c2lt.sig");
  EXPECT_EQ(grant->expires_in_s, 86399);
}

TEST(TokenResponse, RefusesTokensThatCannotGoIntoAHeaderWithoutQuotingThem) {
  for (std::string body : {std::string(R"({"access_token":"ab\ncd","expires_in":3600})"),
                           std::string(R"({"access_token":"","expires_in":3600})"),
                           R"({"access_token":")" + std::string(16 * 1024 + 1, 'a') + R"(","expires_in":3600})"}) {
    auto grant = parse_token_response(body);
    ASSERT_FALSE(grant.ok());
    EXPECT_EQ(grant.error().kind, ErrorKind::kPermanent);
    EXPECT_EQ(grant.error().message, "OAuth token response has an unusable access_token");
  }
}

TEST(TokenResponse, RefusesBodiesThatAreNotJsonOrTooLarge) {
  std::string html = "<html>502 Bad Gateway</html>";
  EXPECT_EQ(parse_token_response(html).error().kind, ErrorKind::kPermanent);
  std::string huge = R"({"access_token":"a","expires_in":1,"x":")" + std::string(64 * 1024, 'x') + "\"}";
  EXPECT_EQ(parse_token_response(huge).error().message, "OAuth token response is too large");
}

TEST(OAuthErrorCode, KeepsOnlyAShortPlainCode) {
  EXPECT_EQ(oauth_error_code(R"({"error":"invalid_client","description":"client not found"})"), "invalid_client");
  EXPECT_EQ(oauth_error_code(R"({"error":"bad\n<script>code"})"), "badscriptcode");
  EXPECT_EQ(oauth_error_code(R"({"error":")" + std::string(100, 'e') + "\"}"), std::string(64, 'e'));
  EXPECT_EQ(oauth_error_code("not json"), "");
  EXPECT_EQ(oauth_error_code(R"({"error":5})"), "");
}

}  // namespace
}  // namespace gb::api::detail
