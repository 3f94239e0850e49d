#include "config/validate.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace gb::config {
namespace {

using std::chrono::seconds;

Settings good() {
  Settings s;
  s.hosts.region = "eu_west_1";
  s.credentials = {"client-id", "client-secret-value"};
  return s;
}

TEST(Settings, DefaultsAreTheIssues) {
  const Settings s;
  EXPECT_EQ(s.token.refresh_buffer, seconds(120));
  EXPECT_EQ(s.rate.requests, 300);
  EXPECT_EQ(s.rate.window, seconds(60));
  EXPECT_EQ(s.poll.interval, seconds(15));
  EXPECT_EQ(s.poll.max_job_wait, seconds(24 * 3600));
  EXPECT_EQ(s.retry.max_outage, seconds(300));
  EXPECT_EQ(s.download.concurrency, 5);
  EXPECT_EQ(s.download.spill_threshold_bytes, 200ull << 20);
  EXPECT_EQ(s.download.memory_budget_bytes, 48ull << 20);
  EXPECT_TRUE(validate(good()).ok()) << validate(good()).error().describe();
}

TEST(Validate, BadValuesAreRefusedWithOneClearLine) {
  struct Case {
    std::function<void(Settings&)> spoil;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {[](Settings& s) { s.hosts = {}; }, "no Genesys Cloud region"},
      {[](Settings& s) { s.hosts.login_url = "http://127.0.0.1:1"; }, "both the login URL and the API URL"},
      {[](Settings& s) { s.hosts.login_url = s.hosts.api_url = "ftp://127.0.0.1"; }, "http:// or https://"},
      {[](Settings& s) { s.credentials.client_id.clear(); }, "client id is empty"},
      {[](Settings& s) { s.credentials.client_secret.clear(); }, "client secret is empty"},
      {[](Settings& s) { s.token.refresh_buffer = seconds(0); }, "token refresh buffer must be positive"},
      {[](Settings& s) { s.http.connect_timeout = std::chrono::milliseconds(-1); }, "connect timeout"},
      {[](Settings& s) { s.retry.max_attempts = 0; }, "retry attempts must be between 1 and 100 (got 0)"},
      {[](Settings& s) { s.retry.base_delay = std::chrono::milliseconds(120'000); }, "must not exceed"},
      {[](Settings& s) { s.rate.requests = 0; }, "rate budget"},
      {[](Settings& s) { s.breaker.failure_threshold = 0; }, "breaker failure threshold"},
      {[](Settings& s) { s.breaker.cool_down = seconds(0); }, "breaker cool-down"},
      {[](Settings& s) { s.poll.interval = seconds(0); }, "poll interval must be positive"},
      {[](Settings& s) { s.poll.max_job_wait = seconds(10); }, "poll interval must not exceed"},
      {[](Settings& s) { s.retry.max_outage = seconds(0); }, "maximum outage must be positive"},
      {[](Settings& s) { s.download.page_size = -5; }, "page size must be between 1 and 100000 (got -5)"},
      {[](Settings& s) { s.download.concurrency = 0; }, "download concurrency"},
      {[](Settings& s) { s.download.spill_threshold_bytes = 10; }, "spill threshold"},
      {[](Settings& s) { s.download.memory_budget_bytes = 8ull << 20; }, "memory budget must be at least 16 MB"},
      {[](Settings& s) { s.download.max_record_bytes = 24ull << 20; },
       "maximum record size must be between 1 KB and 23 MB (half the memory budget, less 1 MB)"},
  };
  for (const Case& c : cases) {
    Settings s = good();
    c.spoil(s);
    const Status status = validate(s);
    ASSERT_FALSE(status.ok()) << c.expected;
    EXPECT_EQ(status.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(status.error().message.find(c.expected), std::string::npos) << status.error().message;
    EXPECT_EQ(status.error().message.find('\n'), std::string::npos);
  }
}

TEST(Validate, CredentialErrorsNeverQuoteTheSecret) {
  Settings s = good();
  s.credentials.client_secret = "top-secret\nvalue";
  const Status status = validate(s);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().describe().find("top-secret"), std::string::npos);
  EXPECT_NE(status.error().message.find("control character"), std::string::npos);
}

}  // namespace
}  // namespace gb::config
