// Each fault's visible effect, through real HTTP.
#include <fmt/format.h>

#include <algorithm>

#include "sim_fixture.hpp"
#include "testing/fake_clock.hpp"

namespace gb::simulator::test {
namespace {

class FaultTest : public SimTest {
 protected:
  Settings with_bulk_job(std::uint64_t records = 20, std::uint64_t chunk = 10) {
    auto s = quick_settings();
    s.jobs.push_back({"bulk:users", records, chunk});
    return s;
  }
  std::string chunk_path(std::uint64_t c = 0) {
    return "/api/v2/bulk/jobs/" + server_->jobs()[0].job_id + fmt::format("/results/chunk-{:05}", c);
  }
};

TEST_F(FaultTest, TooManyRequestsCarriesRetryAfter) {
  auto s = with_bulk_job();
  s.faults.too_many_requests.count = 1;
  s.faults.retry_after_seconds = 7;
  start(s);
  auto r = api("GET", chunk_path());
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "7");
  EXPECT_EQ(api("GET", chunk_path()).status, 200);
}

TEST_F(FaultTest, ServerErrorsRotate502503504) {
  auto s = with_bulk_job();
  s.faults.server_error.count = 3;
  start(s);
  std::multiset<long> statuses;
  for (int i = 0; i < 3; ++i) statuses.insert(api("GET", chunk_path()).status);
  EXPECT_EQ(statuses, (std::multiset<long>{502, 503, 504}));
  EXPECT_EQ(api("GET", chunk_path()).status, 200);
}

TEST_F(FaultTest, ConnectionResetMidBody) {
  auto s = with_bulk_job(2000, 2000);
  s.faults.reset_mid_body.count = 2;
  start(s);
  auto r = api("GET", chunk_path());
  EXPECT_EQ(r.code, CURLE_RECV_ERROR);  // RST, not an orderly close
  EXPECT_EQ(api("GET", chunk_path(), {}, true).code, CURLE_RECV_ERROR);
  auto again = api("GET", chunk_path());
  EXPECT_EQ(again.code, CURLE_OK);
  EXPECT_LT(r.body.size(), again.body.size());
}

TEST_F(FaultTest, TruncatedBody) {
  auto s = with_bulk_job(2000, 2000);
  s.faults.truncated_body.count = 2;
  start(s);
  auto plain = api("GET", chunk_path());
  EXPECT_EQ(plain.code, CURLE_PARTIAL_FILE);
  EXPECT_LT(plain.body.size(), 2000u * 300);
  auto gz = api("GET", chunk_path(), {}, true);  // gzip, cut short: an error, never a stall
  EXPECT_EQ(gz.code, CURLE_PARTIAL_FILE);
  EXPECT_EQ(api("GET", chunk_path()).code, CURLE_OK);
}

TEST_F(FaultTest, StoredGzipChunksAreCutShortOrResetToo) {
  auto s = with_bulk_job(2000, 2000);
  s.faults.truncated_body.count = 1;
  start(s);
  HttpCall raw;
  raw.url = url(chunk_path());
  raw.headers = {"Authorization: Bearer " + token()};
  raw.raw_gzip = true;
  auto cut = http(raw);
  EXPECT_EQ(cut.code, CURLE_PARTIAL_FILE);
  auto whole = http(raw);
  ASSERT_EQ(whole.code, CURLE_OK);
  EXPECT_EQ(whole.header("content-encoding"), "gzip");
  // The stored encoding, cut in half: what a CDN's broken connection delivers.
  EXPECT_EQ(cut.body.size(), whole.body.size() / 2);
  EXPECT_EQ(cut.body, whole.body.substr(0, cut.body.size()));

  auto r = with_bulk_job(2000, 2000);
  r.faults.reset_mid_body.count = 1;
  start(r);
  raw.url = url(chunk_path());
  raw.headers = {"Authorization: Bearer " + token()};
  auto reset = http(raw);
  EXPECT_EQ(reset.code, CURLE_RECV_ERROR);
  EXPECT_EQ(http(raw).code, CURLE_OK);
}

TEST_F(FaultTest, MalformedRecordsInsideAChunk) {
  auto s = with_bulk_job(20, 20);
  s.faults.malformed_record.count = 2;
  start(s);
  auto r = api("GET", chunk_path());
  ASSERT_EQ(r.status, 200);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_NE(parser.parse(r.body).get(doc), simdjson::SUCCESS);
  auto params = server_->data_params(server_->jobs()[0].job_id);
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(flaw_of(*params, 0), Flaw::kMalformed);
  EXPECT_EQ(flaw_of(*params, 1), Flaw::kMalformed);
  EXPECT_EQ(flaw_of(*params, 2), Flaw::kNone);
  EXPECT_NE(server_->stats_json().find("\"malformed\":2"), std::string::npos);
}

TEST_F(FaultTest, InvalidUtf8AndNulEscapesInsideStrings) {
  auto s = with_bulk_job(20, 20);
  s.faults.invalid_utf8.count = 1;
  s.faults.nul_escape.count = 2;  // record 0 is invalid UTF-8, records 1 and 2 get \u0000
  start(s);
  auto r = api("GET", chunk_path());
  EXPECT_FALSE(simdjson::validate_utf8(r.body.data(), r.body.size()));
  EXPECT_NE(r.body.find("\\u0000"), std::string::npos);
}

TEST_F(FaultTest, RevokedTokenGets401UntilANewLogin) {
  auto s = with_bulk_job();
  s.faults.revoke_token.count = 1;
  start(s);
  auto r = api("GET", chunk_path());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(field(r.body, "code"), "bad.credentials");
  EXPECT_EQ(api("GET", chunk_path()).status, 401);
  token_ = token();
  EXPECT_EQ(api("GET", chunk_path()).status, 200);
  server_->revoke_tokens();
  EXPECT_EQ(api("GET", chunk_path()).status, 401);
}

TEST_F(FaultTest, Forbidden) {
  auto s = with_bulk_job();
  s.faults.forbidden.count = 1;
  start(s);
  auto r = api("GET", chunk_path());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(field(r.body, "code"), "missing.permissions");
}

TEST_F(FaultTest, JobsEndFailedCancelledOrExpired) {
  auto s = quick_settings();
  s.faults.job_failed.count = 1;
  s.faults.job_cancelled.count = 1;
  s.faults.job_expired.count = 1;
  s.jobs = {{"bulk:users", 5, 5}, {"conversations", 5, 5}, {"users", 5, 5}, {"bulk:users", 5, 5}};
  start(s);
  const auto jobs = server_->jobs();
  auto failed = api("GET", "/api/v2/bulk/jobs/" + jobs[0].job_id);
  EXPECT_EQ(field(failed.body, "jobState"), "failed");
  EXPECT_FALSE(field(failed.body, "errorMessage").empty());
  EXPECT_EQ(field(api("GET", "/api/v2/analytics/conversations/details/jobs/" + jobs[1].job_id).body, "state"),
            "CANCELLED");
  const auto expired = "/api/v2/analytics/users/details/jobs/" + jobs[2].job_id;
  EXPECT_EQ(field(api("GET", expired).body, "state"), "EXPIRED");
  EXPECT_EQ(api("GET", expired + "/results").status, 410);
  EXPECT_EQ(field(api("GET", "/api/v2/bulk/jobs/" + jobs[3].job_id).body, "jobState"), "completed");
}

TEST_F(FaultTest, SlowResponsesStillAnswer) {
  auto s = with_bulk_job();
  s.faults.slow.count = 1;
  s.faults.slow_delay = std::chrono::milliseconds(20);
  start(s);
  EXPECT_EQ(api("GET", chunk_path()).status, 200);
  EXPECT_NE(server_->stats_json().find("\"slow\":1"), std::string::npos);
}

TEST_F(FaultTest, HugeChunk) {
  auto s = with_bulk_job(100, 50);
  s.faults.huge_chunk_mb = 3;
  start(s);
  auto r = api("GET", chunk_path(0));
  ASSERT_EQ(r.status, 200);
  EXPECT_GE(r.body.size(), (3u << 20) - 200);
  EXPECT_LT(api("GET", chunk_path(1)).body.size(), 1u << 20);
  EXPECT_EQ(fetch_bulk(server_->jobs()[0].job_id), expected(server_->jobs()[0].job_id));
}

TEST_F(FaultTest, ChunksOutOfOrder) {
  auto s = with_bulk_job(50, 5);
  s.faults.chunks_out_of_order = true;
  start(s);
  auto status = api("GET", "/api/v2/bulk/jobs/" + server_->jobs()[0].job_id);
  simdjson::dom::parser parser;
  std::vector<std::string> ids;
  for (auto c : parser.parse(status.body)["chunks"].get_array()) ids.emplace_back(std::string_view(c["chunkId"]));
  ASSERT_EQ(ids.size(), 10u);
  EXPECT_FALSE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(fetch_bulk(server_->jobs()[0].job_id), expected(server_->jobs()[0].job_id));
}

TEST_F(FaultTest, OutageWindowAnswers503ToEverything) {
  FakeClock clock;
  auto s = with_bulk_job();
  s.clock = &clock;
  s.faults.outage_after = std::chrono::seconds(5);
  s.faults.outage_duration = std::chrono::seconds(10);
  start(s);
  token_ = token();
  EXPECT_EQ(api("GET", chunk_path()).status, 200);
  clock.advance(std::chrono::seconds(6));
  auto down = api("GET", chunk_path());
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.header("retry-after"), "9");
  EXPECT_FALSE(down.header("inin-ratelimit-allowed").empty());
  EXPECT_EQ(login().status, 503);
  clock.advance(std::chrono::seconds(10));
  EXPECT_EQ(api("GET", chunk_path()).status, 200);
  server_->start_outage(std::chrono::seconds(1));
  EXPECT_EQ(api("GET", chunk_path()).status, 503);
  clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(api("GET", chunk_path()).status, 200);
}

}  // namespace
}  // namespace gb::simulator::test
