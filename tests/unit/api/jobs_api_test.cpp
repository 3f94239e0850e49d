#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>

#include "api/genesys_jobs_api.hpp"
#include "resilience/retry_loop.hpp"
#include "sim_fixture.hpp"

namespace gb::api::testing {
namespace {

using std::chrono::seconds;

// The values of `key` in the objects of a JSON array (the records of a chunk or a page).
std::vector<std::string> keys_in(simdjson::dom::array records, std::string_view key) {
  std::vector<std::string> out;
  for (simdjson::dom::element record : records) {
    std::string_view value;
    if (record[key].get_string().get(value) == simdjson::SUCCESS) out.emplace_back(value);
  }
  return out;
}

class JobsApiTest : public SimFixture {
 protected:
  resilience::RetryPolicy policy_;

  // Steps fake time until the job is done (no poller here: that has its own tests).
  JobSnapshot wait_done(const ExportType& type, const std::string& job_id) {
    for (int i = 0; i < 100; ++i) {
      auto job = api_->get_job(type, job_id);
      EXPECT_TRUE(job.ok()) << job.error().describe();
      if (!job.ok() || job->phase != JobPhase::kRunning) return job.ok() ? *job : JobSnapshot{};
      clock_.advance(seconds(15));
    }
    ADD_FAILURE() << "job never finished";
    return {};
  }
};

TEST_F(JobsApiTest, BulkJobCreatedPolledAndEveryChunkDownloaded) {
  settings_.records_per_job = 120;
  settings_.chunk_records = 50;
  settings_.faults.chunks_out_of_order = true;
  start();
  const auto type = ExportType::parse("bulk:users").value();
  auto job_id = api_->create_job(type, R"({"filter": {"active": true}})");
  ASSERT_TRUE(job_id.ok()) << job_id.error().describe();
  const JobSnapshot done = wait_done(type, *job_id);
  ASSERT_EQ(done.phase, JobPhase::kSucceeded) << done.state;
  EXPECT_EQ(done.state, "completed");
  ASSERT_EQ(done.chunks.size(), 3u);

  std::multiset<std::string> landed;
  for (const ChunkInfo& chunk : done.chunks) {
    std::string body;
    const http::BodySink sink = [&](std::string_view bytes) {
      body.append(bytes);
      return ok_status();
    };
    ASSERT_TRUE(api_->download_chunk(chunk, sink).ok());
    simdjson::dom::parser parser;
    simdjson::dom::array records;
    ASSERT_EQ(parser.parse(body).get_array().get(records), simdjson::SUCCESS);
    for (auto& key : keys_in(records, "id")) landed.insert(key);
  }
  const auto expected = server_->expected_keys(*job_id);
  EXPECT_EQ(landed, std::multiset<std::string>(expected.begin(), expected.end()));
}

TEST_F(JobsApiTest, ConversationPagesFollowTheCursorToTheEnd) {
  settings_.jobs.push_back({"conversations", 250, 100});
  start();
  const auto type = ExportType::parse("conversations").value();
  const std::string job_id = first_job_id();
  ASSERT_EQ(wait_done(type, job_id).state, "FULFILLED");

  std::vector<std::string> landed;
  std::string cursor;
  int pages = 0;
  do {
    auto page = api_->fetch_page(type, job_id, cursor, 40);
    ASSERT_TRUE(page.ok()) << page.error().describe();
    simdjson::dom::parser parser;
    simdjson::dom::array records;
    ASSERT_EQ(parser.parse(page->body)["conversations"].get_array().get(records), simdjson::SUCCESS);
    for (auto& key : keys_in(records, "conversationId")) landed.push_back(key);
    cursor = page->cursor;
    ASSERT_LT(++pages, 100);
  } while (!cursor.empty());
  EXPECT_EQ(pages, 7);  // 250 records, 40 a page
  EXPECT_EQ(landed, server_->expected_keys(job_id));
}

TEST_F(JobsApiTest, PagesWithFlawedRecordsStillYieldTheirCursor) {
  settings_.jobs.push_back({"conversations", 250, 100});
  settings_.faults.invalid_utf8.probability = 0.05;
  settings_.faults.malformed_record.probability = 0.05;
  settings_.faults.nul_escape.probability = 0.05;
  start();
  const auto type = ExportType::parse("conversations").value();
  ASSERT_EQ(wait_done(type, first_job_id()).state, "FULFILLED");
  std::string cursor;
  int pages = 0;
  do {
    auto page = api_->fetch_page(type, first_job_id(), cursor, 40);
    ASSERT_TRUE(page.ok()) << page.error().describe();
    cursor = page->cursor;
    ASSERT_LT(++pages, 100);
  } while (!cursor.empty());
  EXPECT_EQ(pages, 7);
  EXPECT_EQ(requests("GET /api/v2/analytics/conversations/details/jobs/{jobId}/results", 200), 7u);
  // The pages really held flawed records.
  simdjson::dom::parser parser;
  const std::string stats = server_->stats_json();
  simdjson::dom::element flawed = parser.parse(stats)["jobs"].at(0)["flawed"].value();
  EXPECT_GT(flawed["invalidUtf8"].get_uint64().value(), 0u);
  EXPECT_GT(flawed["malformed"].get_uint64().value(), 0u);
}

TEST_F(JobsApiTest, UserDetailsJobToo) {
  settings_.jobs.push_back({"users", 30, 100});
  start();
  const auto type = ExportType::parse("users").value();
  ASSERT_EQ(wait_done(type, first_job_id()).phase, JobPhase::kSucceeded);
  auto page = api_->fetch_page(type, first_job_id(), "", 100);
  ASSERT_TRUE(page.ok()) << page.error().describe();
  EXPECT_TRUE(page->cursor.empty());
  simdjson::dom::parser parser;
  simdjson::dom::array records;
  ASSERT_EQ(parser.parse(page->body)["userDetails"].get_array().get(records), simdjson::SUCCESS);
  EXPECT_EQ(keys_in(records, "userId"), server_->expected_keys(first_job_id()));
}

TEST_F(JobsApiTest, NotFoundIsPermanentAndNotRetried) {
  start();
  const auto type = ExportType::parse("bulk:users").value();
  auto job = resilience::retry(policy_, clock_, [&](int) { return api_->get_job(type, "no-such-job"); });
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(job.error().http_status, 404);
  EXPECT_EQ(requests(kBulkStatusRoute), 1u);
}

TEST_F(JobsApiTest, ForbiddenIsPermanentAndNotRetried) {
  settings_.jobs.push_back({"bulk:users", 10, 10});
  settings_.faults.forbidden.count = 1;
  start();
  const auto type = ExportType::parse("bulk:users").value();
  auto job = resilience::retry(policy_, clock_, [&](int) { return api_->get_job(type, first_job_id()); });
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(job.error().http_status, 403);
  EXPECT_EQ(requests(kBulkStatusRoute), 1u);
}

TEST_F(JobsApiTest, BadRequestIsPermanentAndNotRetried) {
  start();
  const auto type = ExportType::parse("conversations").value();
  // Valid JSON, but the API requires an interval.
  auto job = resilience::retry(policy_, clock_, [&](int) { return api_->create_job(type, "{}"); });
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(job.error().http_status, 400);
  EXPECT_NE(job.error().message.find("interval"), std::string::npos) << job.error().describe();
  EXPECT_EQ(requests("POST /api/v2/analytics/conversations/details/jobs"), 1u);
}

TEST_F(JobsApiTest, RetryAfterIsHonouredExactly) {
  settings_.jobs.push_back({"bulk:users", 10, 10});
  settings_.faults.too_many_requests.count = 1;
  settings_.faults.retry_after_seconds = 7;
  start();
  const auto type = ExportType::parse("bulk:users").value();
  auto job = resilience::retry(policy_, clock_, [&](int) { return api_->get_job(type, first_job_id()); });
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_EQ(clock_.total_slept(), seconds(7));  // the server's value, not a computed backoff
  EXPECT_EQ(requests(kBulkStatusRoute, 429), 1u);
  EXPECT_EQ(requests(kBulkStatusRoute, 200), 1u);
}

TEST_F(JobsApiTest, ServerErrorsAreRetried) {
  settings_.jobs.push_back({"bulk:users", 10, 10});
  settings_.faults.server_error.count = 3;  // 502, 503, 504
  start();
  const auto type = ExportType::parse("bulk:users").value();
  auto job = resilience::retry(policy_, clock_, [&](int) { return api_->get_job(type, first_job_id()); });
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_EQ(requests(kBulkStatusRoute, 502) + requests(kBulkStatusRoute, 503) + requests(kBulkStatusRoute, 504), 3u);
  EXPECT_EQ(requests(kBulkStatusRoute, 200), 1u);
}

TEST_F(JobsApiTest, ChunkUrlOnAnotherHostIsRefusedWithoutARequest) {
  start();
  const std::string port = std::to_string(server_->port());
  const auto before = total_requests();
  const http::BodySink sink = [](std::string_view) { return ok_status(); };
  for (const std::string& url :
       std::vector<std::string>{"http://localhost:" + port + "/api/v2/bulk/jobs/j/results/c",
                                std::string("http://127.0.0.1:1/api/v2/bulk/jobs/j/results/c"),
                                "https://127.0.0.1:" + port + "/api/v2/bulk/jobs/j/results/c",
                                "http://evil.example/api/v2/bulk/jobs/j/results/c",
                                "http://127.0.0.1:" + port + "@evil.example/x", "file:///etc/passwd"}) {
    const Status status = api_->download_chunk(ChunkInfo{"c", url, 0}, sink);
    ASSERT_FALSE(status.ok()) << url;
    EXPECT_EQ(status.error().kind, ErrorKind::kPermanent) << url;
    EXPECT_NE(status.error().message.find("refused"), std::string::npos) << status.error().message;
  }
  EXPECT_EQ(total_requests(), before);
}

TEST_F(JobsApiTest, BadIdsNeverReachAUrl) {
  start();
  const auto type = ExportType::parse("bulk:users").value();
  const http::BodySink sink = [](std::string_view) { return ok_status(); };
  auto job = api_->get_job(type, "../../oauth/token");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().kind, ErrorKind::kInvalidInput);
  auto page = api_->fetch_page(ExportType::parse("users").value(), "a b", "", 10);
  ASSERT_FALSE(page.ok());
  const Status chunk = api_->download_chunk(ChunkInfo{"a/b", base_ + "/api/v2/bulk/jobs/j/results/a", 0}, sink);
  ASSERT_FALSE(chunk.ok());
  EXPECT_EQ(total_requests(), 0u);
}

TEST_F(JobsApiTest, QueryMustBeAJsonObject) {
  start();
  const auto type = ExportType::parse("conversations").value();
  for (const std::string query : {"", "[]", "{\"interval\":", "42"}) {
    auto job = api_->create_job(type, query);
    ASSERT_FALSE(job.ok()) << query;
    EXPECT_EQ(job.error().kind, ErrorKind::kInvalidInput);
  }
  EXPECT_EQ(total_requests(), 0u);
}

TEST(JobPhases, EveryStateOfTheSpecIsNormalised) {
  const std::map<std::string, JobPhase> expected = {
      {"QUEUED", JobPhase::kRunning}, {"PENDING", JobPhase::kRunning},    {"FULFILLED", JobPhase::kSucceeded},
      {"FAILED", JobPhase::kFailed},  {"CANCELLED", JobPhase::kFailed},   {"EXPIRED", JobPhase::kFailed},
      {"queued", JobPhase::kRunning}, {"processing", JobPhase::kRunning}, {"completed", JobPhase::kSucceeded},
      {"failed", JobPhase::kFailed},  {"cancelled", JobPhase::kFailed},
  };
  for (const auto& [state, phase] : expected) EXPECT_EQ(phase_of_state(state), phase) << state;
  EXPECT_EQ(phase_of_state("Completed"), std::nullopt);
  EXPECT_EQ(phase_of_state(""), std::nullopt);
}

}  // namespace
}  // namespace gb::api::testing
