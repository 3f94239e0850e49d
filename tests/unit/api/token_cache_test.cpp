#include "api/token_cache.hpp"

#include <gtest/gtest.h>

#include <barrier>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "sim_fixture.hpp"

namespace gb::api::testing {
namespace {

using std::chrono::seconds;

class TokenCacheTest : public SimFixture {};

TEST_F(TokenCacheTest, ThirtyTwoThreadsMakeOneRefresh) {
  start();
  constexpr int kThreads = 32;
  std::barrier go(kThreads);
  std::vector<std::string> got(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      auto token = tokens_->token();
      got[i] = token.ok() ? *token : "error: " + token.error().describe();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& token : got) EXPECT_EQ(token, got[0]);
  EXPECT_FALSE(got[0].starts_with("error"));
  EXPECT_EQ(requests(kTokenRoute), 1u);
  EXPECT_EQ(tokens_->refresh_count(), 1u);
}

TEST_F(TokenCacheTest, RefreshesOnlyWithinTheBufferOfExpiry) {
  settings_.token_ttl = seconds(3600);
  start();
  ASSERT_TRUE(tokens_->token().ok());
  clock_.advance(seconds(3600 - 121));  // 121 s of life left: still good
  ASSERT_TRUE(tokens_->token().ok());
  EXPECT_EQ(requests(kTokenRoute), 1u);
  clock_.advance(seconds(1));  // 120 s left: refresh now, not when it is too late
  ASSERT_TRUE(tokens_->token().ok());
  EXPECT_EQ(requests(kTokenRoute), 2u);
  ASSERT_TRUE(tokens_->token().ok());
  EXPECT_EQ(requests(kTokenRoute), 2u);
}

TEST_F(TokenCacheTest, ShortLivedTokensAreRefreshedAtHalfTheirLife) {
  settings_.token_ttl = seconds(60);  // shorter than the 120 s buffer: do not refresh on every call
  start();
  ASSERT_TRUE(tokens_->token().ok());
  ASSERT_TRUE(tokens_->token().ok());
  clock_.advance(seconds(29));
  ASSERT_TRUE(tokens_->token().ok());
  EXPECT_EQ(requests(kTokenRoute), 1u);
  clock_.advance(seconds(1));
  ASSERT_TRUE(tokens_->token().ok());
  EXPECT_EQ(requests(kTokenRoute), 2u);
}

TEST_F(TokenCacheTest, InvalidateDropsOnlyTheCurrentToken) {
  start();
  auto first = tokens_->token();
  ASSERT_TRUE(first.ok());
  tokens_->invalidate("some-older-token");
  ASSERT_TRUE(tokens_->token().ok());
  EXPECT_EQ(requests(kTokenRoute), 1u);
  tokens_->invalidate(*first);
  ASSERT_TRUE(tokens_->token().ok());
  EXPECT_EQ(requests(kTokenRoute), 2u);
}

TEST_F(TokenCacheTest, WrongCredentialsAreAClearPermanentErrorSharedByAllWaiters) {
  start();
  const std::string wrong_secret = "wrong-secret-value-1234";
  TokenCache cache(curl_, token_options(wrong_secret), clock_);
  constexpr int kThreads = 8;
  std::barrier go(kThreads);
  std::vector<std::optional<Error>> errors(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      auto token = cache.token();
      if (!token.ok()) errors[i] = token.error();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& error : errors) {
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->kind, ErrorKind::kPermanent) << error->describe();
    EXPECT_NE(error->describe().find("client credentials refused"), std::string::npos) << error->describe();
    EXPECT_EQ(error->describe().find(wrong_secret), std::string::npos);
  }
  // Waiters share one outcome; a later call asks again (the operator may fix the secret).
  EXPECT_LE(requests(kTokenRoute, 401), static_cast<std::uint64_t>(kThreads));
  EXPECT_GE(requests(kTokenRoute, 401), 1u);
}

TEST_F(TokenCacheTest, TokensAreRedactedFromLogs) {
  start();
  auto token = tokens_->token();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(log::redact("token=" + *token).find(*token), std::string::npos);
  EXPECT_EQ(log::redact("secret=" + settings_.client_secret).find(settings_.client_secret), std::string::npos);
}

TEST_F(TokenCacheTest, ATokenWithoutExpiresInIsAcceptedAndRefreshedEarlyWithinItsAssumedLifetime) {
  settings_.omit_expires_in = true;  // RFC 6749 §5.1: expires_in is optional
  start();
  auto first = tokens_->token();
  ASSERT_TRUE(first.ok()) << first.error().describe();
  ASSERT_EQ(token_options().assumed_lifetime, seconds(300));
  clock_.advance(seconds(300 - 121));  // 121 s of the assumed 5 minutes left: still good
  ASSERT_TRUE(tokens_->token().ok());
  EXPECT_EQ(requests(kTokenRoute), 1u);
  clock_.advance(seconds(1));  // within the 120 s buffer: refreshed before it might expire
  auto second = tokens_->token();
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, *first);
  EXPECT_EQ(requests(kTokenRoute), 2u);
}

TEST_F(TokenCacheTest, LoginOutageIsTransientForTheCallersRetryLoop) {
  start();
  server_->start_outage(std::chrono::milliseconds(60'000));
  auto token = tokens_->token();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, ErrorKind::kTransient) << token.error().describe();
}

}  // namespace
}  // namespace gb::api::testing
