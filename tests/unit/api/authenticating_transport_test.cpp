#include "api/authenticating_transport.hpp"

#include <gtest/gtest.h>

#include "resilience/retry_loop.hpp"
#include "sim_fixture.hpp"

namespace gb::api::testing {
namespace {

class AuthenticatingTransportTest : public SimFixture {
 protected:
  void SetUp() override { settings_.jobs.push_back({"bulk:users", 100, 50}); }
  ExportType bulk_users() { return ExportType::parse("bulk:users").value(); }
};

TEST_F(AuthenticatingTransportTest, CallsCarryABearerToken) {
  start();
  auto job = api_->get_job(bulk_users(), first_job_id());
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_EQ(requests(kBulkStatusRoute, 200), 1u);
  EXPECT_EQ(requests(kTokenRoute), 1u);
}

TEST_F(AuthenticatingTransportTest, WithoutItTheApiSays401) {
  start();
  GenesysJobsApi bare(curl_, GenesysJobsApiOptions{base_});
  auto job = bare.get_job(bulk_users(), first_job_id());
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().http_status, 401);
}

TEST_F(AuthenticatingTransportTest, A401RefreshesTheTokenOnceAndRetries) {
  start();
  ASSERT_TRUE(api_->get_job(bulk_users(), first_job_id()).ok());
  server_->revoke_tokens();
  auto job = api_->get_job(bulk_users(), first_job_id());
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_EQ(requests(kTokenRoute), 2u);
  EXPECT_EQ(requests(kBulkStatusRoute, 401), 1u);
  EXPECT_EQ(requests(kBulkStatusRoute, 200), 2u);
}

TEST_F(AuthenticatingTransportTest, ATokenWithoutExpiresInThatDiesSoonerIsRefreshedOnceOnA401) {
  settings_.omit_expires_in = true;
  settings_.token_ttl = std::chrono::seconds(60);  // the server's real lifetime, unsaid
  start();
  ASSERT_TRUE(api_->get_job(bulk_users(), first_job_id()).ok());
  clock_.advance(std::chrono::seconds(100));  // dead for the server, fresh by our assumed 5 minutes
  auto job = api_->get_job(bulk_users(), first_job_id());
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_EQ(requests(kBulkStatusRoute, 401), 1u);
  EXPECT_EQ(requests(kTokenRoute), 2u);
}

TEST_F(AuthenticatingTransportTest, ACallWhoseTokenCouldNotBeFetchedWasNeverSent) {
  start();
  server_->start_outage(std::chrono::milliseconds(60'000));  // the login answers 503
  auto created = api_->create_job(bulk_users(), "{}");
  ASSERT_FALSE(created.ok());
  EXPECT_TRUE(created.error().transient()) << created.error().describe();
  EXPECT_TRUE(created.error().not_sent);  // so creating may be retried: no job can exist
  EXPECT_EQ(requests("POST /api/v2/bulk/jobs/{jobType}"), 0u);
}

TEST_F(AuthenticatingTransportTest, ASecond401IsPermanentAndNotRetried) {
  settings_.faults.revoke_token.count = 2;  // the first two API requests find their token revoked
  start();
  // Wrapped in the retry loop as callers do: a permanent error is not retried.
  auto job = resilience::retry(resilience::RetryPolicy{}, clock_,
                               [&](int) { return api_->get_job(bulk_users(), first_job_id()); });
  ASSERT_FALSE(job.ok());
  const Error& error = job.error();
  EXPECT_EQ(error.kind, ErrorKind::kPermanent) << error.describe();
  EXPECT_EQ(error.http_status, 401);
  EXPECT_NE(error.describe().find("refused again after a refresh"), std::string::npos) << error.describe();
  EXPECT_EQ(requests(kBulkStatusRoute, 401), 2u);
  EXPECT_EQ(requests(kTokenRoute), 2u);
  EXPECT_EQ(error.describe().find("Bearer"), std::string::npos);
}

}  // namespace
}  // namespace gb::api::testing
