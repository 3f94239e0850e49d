#pragma once
// The in-process simulator, a real curl transport and a FakeClock shared by
// both sides, so tokens, job life-cycles and our waits all move together.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>

#include "api/authenticating_transport.hpp"
#include "api/genesys_jobs_api.hpp"
#include "api/token_cache.hpp"
#include "base/clock.hpp"
#include "http/curl_transport.hpp"
#include "http/patience_transport.hpp"
#include "resilience/patience.hpp"
#include "simulator/simulator.hpp"
#include "testing/fake_clock.hpp"

namespace gb::api::testing {

inline simulator::Settings quiet_settings() {
  simulator::Settings s;
  s.rate_limit_requests = 1'000'000;  // the budget is not what these tests are about
  s.job_seconds = 30;
  return s;
}

class SimFixture : public ::testing::Test {
 protected:
  // Starts the simulator; call from each test after adjusting settings_.
  void start() {
    settings_.clock = &clock_;
    auto server = simulator::Server::start(settings_);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(*server);
    base_ = server_->base_url();
    patience_ = std::make_unique<resilience::Patience>(max_outage_, clock_);
    watched_ = std::make_unique<http::PatienceTransport>(curl_, *patience_);
    tokens_ = std::make_unique<TokenCache>(*watched_, token_options(), clock_);
    auth_ = std::make_unique<AuthenticatingTransport>(*watched_, *tokens_);
    api_ = std::make_unique<GenesysJobsApi>(*auth_, GenesysJobsApiOptions{base_});
  }

  TokenCacheOptions token_options(std::string secret = "") const {
    TokenCacheOptions o;
    o.login_url = base_;
    o.client_id = settings_.client_id;
    o.client_secret = secret.empty() ? settings_.client_secret : secret;
    return o;
  }

  // Requests the simulator counted on `route` ("GET /api/v2/bulk/jobs/{jobId}"),
  // with `status` or, when 0, with any status.
  std::uint64_t requests(std::string_view route, int status = 0) const {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    const std::string stats = server_->stats_json();
    EXPECT_EQ(parser.parse(stats).get(root), simdjson::SUCCESS) << stats;
    simdjson::dom::object by_status;
    if (root["requests"]["byRoute"][route].get(by_status) != simdjson::SUCCESS) return 0;
    std::uint64_t n = 0;
    for (auto [key, value] : by_status) {
      if (status == 0 || key == std::to_string(status)) n += value.get_uint64().value();
    }
    return n;
  }
  std::uint64_t total_requests() const {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    const std::string stats = server_->stats_json();
    EXPECT_EQ(parser.parse(stats).get(root), simdjson::SUCCESS);
    return root["requests"]["total"].get_uint64().value();
  }

  std::string first_job_id() const { return server_->jobs().at(0).job_id; }

  FakeClock clock_;
  simulator::Settings settings_ = quiet_settings();
  std::unique_ptr<simulator::Server> server_;
  std::string base_;
  http::CurlTransport curl_;
  // Every call reports to the run's patience, as in the real stack.
  std::chrono::milliseconds max_outage_{std::chrono::hours(1)};
  std::unique_ptr<resilience::Patience> patience_;
  std::unique_ptr<http::PatienceTransport> watched_;
  std::unique_ptr<TokenCache> tokens_;
  std::unique_ptr<AuthenticatingTransport> auth_;
  std::unique_ptr<GenesysJobsApi> api_;
};

inline constexpr std::string_view kTokenRoute = "POST /oauth/token";
inline constexpr std::string_view kBulkStatusRoute = "GET /api/v2/bulk/jobs/{jobId}";
inline constexpr std::string_view kConversationStatusRoute = "GET /api/v2/analytics/conversations/details/jobs/{jobId}";

}  // namespace gb::api::testing
