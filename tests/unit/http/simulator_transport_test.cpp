// The HTTP stack (curl transport, status classification, retry loop, rate
// signals, breaker) against the real simulator started in-process on port 0,
// with its faults: 429 + Retry-After, 502/503/504, reset and truncated chunk
// bodies, gzip, slowness, an outage. Time is a FakeClock shared with the
// simulator, so job life-cycles, Retry-After and cooldowns never really wait.
#include <gtest/gtest.h>
#include <simdjson.h>

#include "http/circuit_breaker_transport.hpp"
#include "http/curl_transport.hpp"
#include "http/rate_limited_transport.hpp"
#include "http/status.hpp"
#include "http/url.hpp"
#include "resilience/retry_loop.hpp"
#include "simulator/simulator.hpp"
#include "testing/fake_clock.hpp"

namespace gb::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class SimulatorTransportTest : public ::testing::Test {
 protected:
  // Starts the simulator with one completed bulk job of 4 chunks and logs in.
  void start(simulator::Faults faults = {}) {
    simulator::Settings s;
    s.jobs.push_back({"bulk:users", 2000, 500});
    s.faults = faults;
    s.clock = &clock_;
    auto server = simulator::Server::start(s);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(*server);
    base_ = server_->base_url();
    job_id_ = server_->jobs().at(0).job_id;
    clock_.advance(seconds(60));  // the job is done by now

    Request login;
    login.method = "POST";
    login.url = base_ + "/oauth/token";
    login.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    login.body = "grant_type=client_credentials&client_id=sim-client&client_secret=sim-secret";
    auto r = curl_.send(login);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->status, 200) << r->body;
    token_ = string_field(r->body, "access_token");
    ASSERT_FALSE(token_.empty());
  }

  static std::string string_field(const std::string& json, const char* key) {
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(json);
    std::string_view value;
    auto doc = parser.iterate(padded);
    if (doc[key].get_string().get(value) != simdjson::SUCCESS) return {};
    return std::string(value);
  }

  Request api_get(const std::string& url) const {
    Request r;
    r.url = url;
    r.headers = {{"Authorization", "Bearer " + token_}};
    return r;
  }

  // One attempt as the api/ layer makes it: a non-2xx status becomes an Error.
  Result<Response> attempt(Transport& t, const Request& request, const BodySink* sink = nullptr) {
    auto r = t.send(request, sink);
    if (!r.ok()) return std::move(r).error();
    if (!is_success(r->status)) return error_from_response(*r, request.method + " " + request.url);
    return r;
  }

  std::vector<std::string> chunk_urls() {
    auto r = attempt(curl_, api_get(base_ + "/api/v2/bulk/jobs/" + job_id_));
    EXPECT_TRUE(r.ok()) << r.error().describe();
    std::vector<std::string> urls;
    if (!r.ok()) return urls;
    simdjson::ondemand::parser parser;
    simdjson::padded_string padded(r->body);
    auto doc = parser.iterate(padded);
    for (auto chunk : doc["chunks"].get_array()) {
      std::string_view url;
      if (chunk["url"].get_string().get(url) == simdjson::SUCCESS) urls.emplace_back(url);
    }
    return urls;
  }

  resilience::RetryPolicy policy() const {
    resilience::RetryPolicy p;
    p.max_attempts = 5;
    p.base_delay = milliseconds(100);
    p.max_delay = milliseconds(1000);
    return p;
  }

  FakeClock clock_;
  std::unique_ptr<simulator::Server> server_;
  CurlTransport curl_;
  std::string base_;
  std::string job_id_;
  std::string token_;
};

TEST_F(SimulatorTransportTest, JobStatusCarriesCorrelationAndRateHeaders) {
  start();
  auto r = attempt(curl_, api_get(base_ + "/api/v2/bulk/jobs/" + job_id_));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_FALSE(r->correlation_id.empty());
  const auto signal = rate_signal(*r);
  ASSERT_TRUE(signal.remaining);
  EXPECT_GT(*signal.remaining, 200);
  EXPECT_TRUE(signal.reset);
  const auto urls = chunk_urls();
  ASSERT_EQ(urls.size(), 4u);
  for (const auto& url : urls) EXPECT_TRUE(same_origin(url, base_)) << url;
}

TEST_F(SimulatorTransportTest, UnknownJobIsPermanentAndNotRetried) {
  start();
  int calls = 0;
  auto r = resilience::retry(policy(), clock_, [&](int) {
    ++calls;
    return attempt(curl_, api_get(base_ + "/api/v2/bulk/jobs/no-such-job"));
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(r.error().http_status, 404);
  EXPECT_FALSE(r.error().correlation_id.empty());
  EXPECT_EQ(calls, 1);
}

TEST_F(SimulatorTransportTest, RetryAfterOfA429IsHonoured) {
  simulator::Faults f;
  f.too_many_requests.count = 1;
  f.retry_after_seconds = 7;
  start(f);
  std::vector<milliseconds> delays;
  auto r = resilience::retry(
      policy(), clock_, [&](int) { return attempt(curl_, api_get(base_ + "/api/v2/bulk/jobs/" + job_id_)); },
      [&](const Error& e, int, milliseconds d) {
        EXPECT_EQ(e.http_status, 429);
        delays.push_back(d);
      });
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(delays, std::vector<milliseconds>{milliseconds(7000)});
}

TEST_F(SimulatorTransportTest, ServerErrorsAreRetriedWithBackoff) {
  simulator::Faults f;
  f.server_error.count = 3;
  start(f);
  std::vector<int> statuses;
  auto r = resilience::retry(
      policy(), clock_, [&](int) { return attempt(curl_, api_get(base_ + "/api/v2/bulk/jobs/" + job_id_)); },
      [&](const Error& e, int, milliseconds d) {
        statuses.push_back(e.http_status);
        EXPECT_LE(d, milliseconds(1000));
      });
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(statuses, (std::vector<int>{503, 502, 504}));
}

TEST_F(SimulatorTransportTest, ChunkSurvivesResetAndTruncationAndArrivesWholeGzipped) {
  start();
  const auto urls = chunk_urls();
  ASSERT_FALSE(urls.empty());
  // The clean bytes first, from a simulator without faults.
  std::string clean;
  const BodySink keep = [&](std::string_view b) {
    clean.append(b);
    return ok_status();
  };
  auto first = attempt(curl_, api_get(urls[0]), &keep);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->header("Content-Encoding"), "gzip");
  EXPECT_EQ(first->body_bytes, clean.size());
  ASSERT_GT(clean.size(), 1000u);
  EXPECT_EQ(clean.front(), '[');
  EXPECT_EQ(clean.back(), ']');

  // Same seed, same data: now with one reset and one truncation.
  simulator::Faults f;
  f.reset_mid_body.count = 1;
  f.truncated_body.count = 1;
  server_.reset();
  start(f);
  const auto faulty_urls = chunk_urls();
  ASSERT_FALSE(faulty_urls.empty());
  std::string got;
  const BodySink sink = [&](std::string_view b) {
    got.append(b);
    return ok_status();
  };
  std::vector<std::string> errors;
  auto r = resilience::retry(
      policy(), clock_,
      [&](int) {
        got.clear();  // each attempt starts the body afresh
        return attempt(curl_, api_get(faulty_urls[0]), &sink);
      },
      [&](const Error& e, int, milliseconds) {
        EXPECT_TRUE(e.transient());
        errors.push_back(e.message);
      });
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_EQ(got, clean);
}

TEST_F(SimulatorTransportTest, WithoutCompressionTheSameChunkArrivesAsIdentityBytes) {
  start();
  const auto urls = chunk_urls();
  ASSERT_FALSE(urls.empty());
  auto gzipped = attempt(curl_, api_get(urls[0]));
  ASSERT_TRUE(gzipped.ok()) << gzipped.error().describe();
  EXPECT_EQ(gzipped->header("Content-Encoding"), "gzip");

  CurlSettings plain_settings;
  plain_settings.compression = false;
  CurlTransport plain(plain_settings);
  auto identity = attempt(plain, api_get(urls[0]));
  ASSERT_TRUE(identity.ok()) << identity.error().describe();
  EXPECT_FALSE(identity->header("Content-Encoding").has_value());
  EXPECT_EQ(identity->body, gzipped->body);
}

TEST_F(SimulatorTransportTest, SlowResponseTimesOutAsTransient) {
  simulator::Faults f;
  f.slow.count = 1;
  f.slow_delay = milliseconds(1500);
  start(f);
  Request slow = api_get(base_ + "/api/v2/bulk/jobs/" + job_id_);
  slow.timeout = milliseconds(200);
  auto r = attempt(curl_, slow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  // The fault is spent: the same request now answers (with room for a loaded machine).
  slow.timeout = milliseconds(10'000);
  auto again = attempt(curl_, slow);
  EXPECT_TRUE(again.ok()) << again.error().describe();
}

TEST_F(SimulatorTransportTest, BreakerOpensInAnOutageProbesAndCloses) {
  start();
  resilience::CircuitBreakerSettings bs;
  bs.threshold = 3;
  bs.cooldown = seconds(30);
  resilience::CircuitBreaker breaker(bs, clock_);
  CircuitBreakerTransport guarded(curl_, breaker);
  server_->start_outage(seconds(20));
  const Request status = api_get(base_ + "/api/v2/bulk/jobs/" + job_id_);
  for (int i = 0; i < 3; ++i) {
    auto r = attempt(guarded, status);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().http_status, 503);
  }
  EXPECT_EQ(breaker.state(), resilience::BreakerState::kOpen);
  // The retry loop waits the breaker out, then the probe closes it.
  auto r = resilience::retry(policy(), clock_, [&](int) { return attempt(guarded, status); });
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(breaker.state(), resilience::BreakerState::kClosed);
}

}  // namespace
}  // namespace gb::http
