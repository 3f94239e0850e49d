// The Transport decorators, over a real CurlTransport and loopback server;
// time is a FakeClock so waits are observed, not slept.
#include <gtest/gtest.h>

#include "base/log.hpp"
#include "http/circuit_breaker_transport.hpp"
#include "http/curl_transport.hpp"
#include "http/logging_transport.hpp"
#include "http/rate_limited_transport.hpp"
#include "http/status.hpp"
#include "test_server.hpp"
#include "testing/fake_clock.hpp"

namespace gb::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Request get(const std::string& url) {
  Request r;
  r.url = url;
  return r;
}

Response with(int status, Headers headers) {
  Response r;
  r.status = status;
  r.headers = std::move(headers);
  return r;
}

TEST(RateSignal, FromGenesysHeaders) {
  auto s = rate_signal(
      with(200, {{"inin-ratelimit-allowed", "300"}, {"inin-ratelimit-count", "295"}, {"inin-ratelimit-reset", "30"}}));
  EXPECT_EQ(s.remaining, 5);
  EXPECT_EQ(s.reset, milliseconds(30'000));
}

TEST(RateSignal, XRateLimitRemainingAndTheLowerWins) {
  EXPECT_EQ(rate_signal(with(200, {{"X-RateLimit-Remaining", "7"}})).remaining, 7);
  EXPECT_EQ(rate_signal(with(200, {{"X-RateLimit-Remaining", "70"},
                                   {"inin-ratelimit-allowed", "300"},
                                   {"inin-ratelimit-count", "298"}}))
                .remaining,
            2);
  EXPECT_FALSE(rate_signal(with(200, {{"X-RateLimit-Remaining", "lots"}})).remaining);
  EXPECT_FALSE(rate_signal(with(200, {})).remaining);
}

// Found by fuzz_http_headers (fuzz/corpus/http_headers/retry_after_huge):
// seconds this large overflowed when counted in milliseconds.
TEST(RateSignal, AResetBeyondAWeekIsIgnored) {
  EXPECT_FALSE(rate_signal(with(200, {{"inin-ratelimit-reset", "9223372036854775807"}})).reset);
  EXPECT_FALSE(rate_signal(with(200, {{"inin-ratelimit-reset", "604801"}})).reset);
  EXPECT_EQ(rate_signal(with(200, {{"inin-ratelimit-reset", "604800"}})).reset, milliseconds(604'800'000));
  EXPECT_FALSE(rate_signal(with(200, {{"inin-ratelimit-reset", "-1"}})).reset);
}

TEST(RateSignal, A429WithoutAValidWaitLeavesItToTheBackoff) {
  // RFC 9110: an invalid Retry-After is ignored; it does not pause every call for a window.
  for (const char* value : {"-5", "soon", " "}) {
    auto s = rate_signal(with(429, {{"Retry-After", value}}));
    EXPECT_FALSE(s.remaining) << value;
    EXPECT_FALSE(s.reset) << value;
  }
}

TEST(RateSignal, A429SpendsTheBudgetUntilRetryAfter) {
  auto s = rate_signal(with(429, {{"Retry-After", "4"}}));
  EXPECT_EQ(s.remaining, 0);
  EXPECT_EQ(s.reset, milliseconds(4000));
}

TEST(RateLimitedTransport, WaitsForTheBudgetAndSlowsDownWhenTheServerSaysSo) {
  auto server = testing::TestServer::start();
  CurlTransport curl;
  FakeClock clock;
  resilience::RateLimiterSettings settings;
  settings.requests_per_window = 100;
  resilience::LocalRateLimiter limiter(settings, clock, clock);
  RateLimitedTransport t(curl, limiter);
  // /ok says 5 left, 30 s to reset: the rest is spread, 6 s apart.
  ASSERT_TRUE(t.send(get(server->base_url() + "/ok")).ok());
  EXPECT_EQ(clock.total_slept(), seconds(0));
  ASSERT_TRUE(t.send(get(server->base_url() + "/ok")).ok());
  EXPECT_EQ(clock.total_slept(), seconds(6));
  EXPECT_EQ(server->requests_served(), 2);
}

TEST(RateLimitedTransport, A429PausesEveryCallerUntilRetryAfter) {
  auto server = testing::TestServer::start();
  CurlTransport curl;
  FakeClock clock;
  resilience::LocalRateLimiter limiter({}, clock, clock);
  RateLimitedTransport t(curl, limiter);
  auto r = t.send(get(server->base_url() + "/status?code=429&retry=5"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(clock.total_slept(), seconds(0));
  ASSERT_TRUE(t.send(get(server->base_url() + "/bytes?n=10")).ok());
  EXPECT_EQ(clock.total_slept(), seconds(5));
}

TEST(CircuitBreakerTransport, OpensRefusesProbesAndCloses) {
  auto server = testing::TestServer::start();
  CurlTransport curl;
  FakeClock clock;
  resilience::CircuitBreakerSettings settings;
  settings.threshold = 3;
  settings.cooldown = seconds(30);
  resilience::CircuitBreaker breaker(settings, clock);
  CircuitBreakerTransport t(curl, breaker);
  for (int i = 0; i < 3; ++i) {
    auto r = t.send(get(server->base_url() + "/status?code=503"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 503);
  }
  EXPECT_EQ(breaker.state(), resilience::BreakerState::kOpen);
  auto refused = t.send(get(server->base_url() + "/ok"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(refused.error().retry_after, milliseconds(30'000));
  EXPECT_EQ(server->requests_served(), 3);  // the refused call never reached the server

  clock.advance(seconds(30));
  auto probe = t.send(get(server->base_url() + "/ok"));
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(breaker.state(), resilience::BreakerState::kClosed);
  EXPECT_EQ(server->requests_served(), 4);
}

TEST(CircuitBreakerTransport, LongRetryAfterOpensAtOnce) {
  auto server = testing::TestServer::start();
  CurlTransport curl;
  FakeClock clock;
  resilience::CircuitBreaker breaker({}, clock);
  CircuitBreakerTransport t(curl, breaker);
  ASSERT_TRUE(t.send(get(server->base_url() + "/status?code=429&retry=120")).ok());
  EXPECT_EQ(breaker.state(), resilience::BreakerState::kOpen);
  auto refused = t.send(get(server->base_url() + "/ok"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().retry_after, milliseconds(120'000));
}

TEST(CircuitBreakerTransport, OtherErrorsDoNotOpenIt) {
  auto server = testing::TestServer::start();
  CurlTransport curl;
  FakeClock clock;
  resilience::CircuitBreakerSettings settings;
  settings.threshold = 2;
  resilience::CircuitBreaker breaker(settings, clock);
  CircuitBreakerTransport t(curl, breaker);
  for (const char* path : {"/status?code=502", "/status?code=504", "/status?code=404", "/truncated?n=1000"}) {
    (void)t.send(get(server->base_url() + path));
  }
  EXPECT_EQ(breaker.state(), resilience::BreakerState::kClosed);
}

TEST(LoggingTransport, LogsPathStatusAndCorrelationButNoSecrets) {
  auto server = testing::TestServer::start();
  CurlTransport curl;
  FakeClock clock;
  LoggingTransport t(curl, clock);
  log::init(log::Format::kText, log::Level::kDebug);
  Request r = get(server->base_url() + "/ok?cursor=private-cursor");
  r.headers = {{"Authorization", "Bearer tok-abcdef-123"}, {"X-Test", "header-value-xyz"}};
  ::testing::internal::CaptureStderr();
  auto out = t.send(r);
  const std::string logged = ::testing::internal::GetCapturedStderr();
  log::init(log::Format::kText, log::Level::kInfo);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(logged.find("path=/ok"), std::string::npos) << logged;
  EXPECT_NE(logged.find("status=200"), std::string::npos) << logged;
  EXPECT_NE(logged.find("corr-123"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("tok-abcdef"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("header-value-xyz"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("private-cursor"), std::string::npos) << logged;
}

}  // namespace
}  // namespace gb::http
