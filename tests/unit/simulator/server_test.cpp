// Every route of the simulator through real HTTP on port 0.
#include <zlib.h>

#include "sim_fixture.hpp"
#include "testing/fake_clock.hpp"

namespace gb::simulator::test {
namespace {

class ServerTest : public SimTest {};

TEST_F(ServerTest, LogsInWithBasicOrFormCredentials) {
  start(quick_settings());
  auto basic = login();
  EXPECT_EQ(basic.status, 200);
  EXPECT_FALSE(field(basic.body, "access_token").empty());
  EXPECT_EQ(field(basic.body, "token_type"), "bearer");
  EXPECT_FALSE(basic.header("inin-correlation-id").empty());
  EXPECT_EQ(basic.header("inin-ratelimit-count"), "0");  // login does not spend the API budget
  EXPECT_EQ(basic.header("inin-ratelimit-allowed"), "100000");

  HttpCall form;
  form.method = "POST";
  form.url = url("/oauth/token");
  form.headers = {"Content-Type: application/x-www-form-urlencoded"};
  form.body = "grant_type=client_credentials&client_id=sim-client&client_secret=sim%2Dsecret";
  EXPECT_EQ(http(form).status, 200);
}

TEST_F(ServerTest, RefusesWrongCredentialsLikeTheRealService) {
  start(quick_settings());
  HttpCall call;
  call.method = "POST";
  call.url = url("/oauth/token");
  call.body = "grant_type=client_credentials";
  call.user_password = "sim-client:wrong";
  auto r = http(call);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(field(r.body, "error"), "invalid_client");
  call.user_password.clear();
  EXPECT_EQ(http(call).status, 400);  // no credentials at all
  call.body = "grant_type=password&client_id=sim-client&client_secret=sim-secret";
  auto grant = http(call);
  EXPECT_EQ(grant.status, 400);
  EXPECT_EQ(field(grant.body, "error"), "unsupported_grant_type");
  call.method = "GET";
  call.body.clear();
  EXPECT_EQ(http(call).status, 405);
}

TEST_F(ServerTest, ApiNeedsAValidBearerToken) {
  start(quick_settings());
  HttpCall call;
  call.url = url("/api/v2/bulk/jobs/whatever");
  auto r = http(call);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(field(r.body, "code"), "bad.credentials");
  EXPECT_EQ(field(r.body, "contextId"), r.header("inin-correlation-id"));
  EXPECT_FALSE(r.header("inin-ratelimit-allowed").empty());
  call.headers = {"Authorization: Bearer not-a-token"};
  EXPECT_EQ(http(call).status, 401);
}

TEST_F(ServerTest, ConversationJobFromCreateToLastPage) {
  auto s = quick_settings();
  s.records_per_job = 53;
  start(s);
  auto created = api("POST", "/api/v2/analytics/conversations/details/jobs",
                     R"({"interval":"2026-11-01T00:00:00.000Z/2026-11-02T00:00:00.000Z"})");
  ASSERT_EQ(created.status, 202) << created.body;
  const auto job = field(created.body, "jobId");
  auto status = api("GET", "/api/v2/analytics/conversations/details/jobs/" + job);
  EXPECT_EQ(field(status.body, "state"), "FULFILLED");
  EXPECT_FALSE(field(status.body, "submissionDate").empty());
  std::multiset<std::string> keys;
  std::string cursor;
  int pages = 0;
  do {
    std::string path = "/api/v2/analytics/conversations/details/jobs/" + job + "/results?pageSize=10";
    if (!cursor.empty()) path += "&cursor=" + cursor;
    auto page = api("GET", path);
    ASSERT_EQ(page.status, 200) << page.body;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(page.body).get(doc), simdjson::SUCCESS);
    for (auto c : doc["conversations"].get_array()) keys.emplace(std::string_view(c["conversationId"]));
    std::string_view next;
    cursor = doc["cursor"].get(next) ? std::string() : std::string(next);
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(pages, 6);
  EXPECT_EQ(keys, expected(job));
}

TEST_F(ServerTest, UserDetailsJobPagesUserDetails) {
  auto s = quick_settings();
  s.jobs.push_back({"users", 12, 5});
  start(s);
  const auto job = server_->jobs()[0].job_id;
  auto page = api("GET", "/api/v2/analytics/users/details/jobs/" + job + "/results");
  ASSERT_EQ(page.status, 200) << page.body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(page.body).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(doc["userDetails"].get_array().size(), 5u);  // chunk_records is the default pageSize
  EXPECT_TRUE(doc["cursor"].is_string());
  // A users job is not a conversations job.
  EXPECT_EQ(api("GET", "/api/v2/analytics/conversations/details/jobs/" + job).status, 404);
}

TEST_F(ServerTest, BulkJobChunksHoldEveryRecordOnce) {
  auto s = quick_settings();
  s.jobs.push_back({"bulk:users", 23, 5});
  start(s);
  const auto job = server_->jobs()[0].job_id;
  auto status = api("GET", "/api/v2/bulk/jobs/" + job);
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(field(status.body, "jobState"), "completed");
  EXPECT_EQ(field(status.body, "jobType"), "users");
  EXPECT_NE(status.body.find("\"url\":\"" + server_->base_url() + "/api/v2/bulk/jobs/" + job + "/results/"),
            std::string::npos);
  EXPECT_EQ(fetch_bulk(job), expected(job));
}

TEST_F(ServerTest, BulkJobsCreatedThroughTheApi) {
  auto s = quick_settings();
  s.records_per_job = 7;
  start(s);
  auto created = api("POST", "/api/v2/bulk/jobs/interactions", R"({"filter":{"since":"2026-11-01"}})");
  ASSERT_EQ(created.status, 202) << created.body;
  EXPECT_EQ(field(created.body, "jobState"), "queued");
  const auto job = field(created.body, "jobId");
  EXPECT_EQ(fetch_bulk(job), expected(job));
  EXPECT_EQ(server_->jobs().size(), 1u);
}

TEST_F(ServerTest, GzipWhenAccepted) {
  auto s = quick_settings();
  s.jobs.push_back({"bulk:users", 300, 300});
  start(s);
  const auto job = server_->jobs()[0].job_id;
  const auto chunk = "/api/v2/bulk/jobs/" + job + "/results/chunk-00000";
  auto plain = api("GET", chunk);
  ASSERT_EQ(plain.status, 200);
  EXPECT_TRUE(plain.header("content-encoding").empty());
  auto gz = api("GET", chunk, {}, true);
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(gz.header("content-encoding"), "gzip");
  EXPECT_EQ(gz.body, plain.body);  // curl decoded it
  HttpCall raw;
  raw.url = url(chunk);
  raw.headers = {"Authorization: Bearer " + token_};
  raw.raw_gzip = true;
  auto bytes = http(raw);
  ASSERT_GE(bytes.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(bytes.body[0]), 0x1f);  // gzip magic
  EXPECT_LT(bytes.body.size(), plain.body.size());
  raw.headers.push_back("Accept-Encoding: gzip;q=0");
  raw.raw_gzip = false;
  EXPECT_TRUE(http(raw).header("content-encoding").empty());
}

// zlib's one-member gunzip, independent of the code under test.
std::string gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return "<init failed>";
  std::string out;
  char block[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(block);
    zs.avail_out = sizeof block;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(block, sizeof block - zs.avail_out);
  }
  const bool whole = rc == Z_STREAM_END && zs.avail_in == 0;
  inflateEnd(&zs);
  return whole ? out : "<not one whole gzip member>";
}

TEST_F(ServerTest, GzipChunksAreStoredCompressedAndDecodeToExactlyTheIdentityBody) {
  auto s = quick_settings();
  s.jobs.push_back({"bulk:interactions", 3000, 1000});
  start(s);
  const auto job = server_->jobs()[0].job_id;
  HttpCall raw;
  raw.headers = {"Authorization: Bearer " + token()};
  raw.raw_gzip = true;
  for (int c = 0; c < 3; ++c) {
    const auto chunk = "/api/v2/bulk/jobs/" + job + "/results/chunk-0000" + std::to_string(c);
    auto plain = api("GET", chunk);
    ASSERT_EQ(plain.status, 200);
    raw.url = url(chunk);
    auto first = http(raw);
    auto second = http(raw);
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(first.header("content-encoding"), "gzip");
    // Stored, so served with its length like any stored body (not streamed chunked).
    EXPECT_EQ(first.header("content-length"), std::to_string(first.body.size()));
    EXPECT_EQ(second.body, first.body);
    EXPECT_EQ(gunzip(first.body), plain.body);
    EXPECT_LT(first.body.size() * 4, plain.body.size());
  }
}

TEST_F(ServerTest, BadRequestsGetTheRealErrorBodies) {
  auto s = quick_settings();
  s.jobs.push_back({"conversations", 5, 5});
  start(s);
  const auto job = server_->jobs()[0].job_id;
  auto unknown = api("GET", "/api/v2/bulk/jobs/no-such-job");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(field(unknown.body, "code"), "not.found");
  auto bad_json = api("POST", "/api/v2/bulk/jobs/users", "{not json");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(field(bad_json.body, "code"), "bad.request");
  EXPECT_FALSE(field(bad_json.body, "message").empty());
  EXPECT_EQ(api("POST", "/api/v2/bulk/jobs/users", "[1,2]").status, 400);
  EXPECT_EQ(api("POST", "/api/v2/bulk/jobs/nope", "{}").status, 400);
  EXPECT_EQ(api("POST", "/api/v2/analytics/conversations/details/jobs", "{}").status, 400);  // no interval
  auto wrong_method = api("PUT", "/api/v2/bulk/jobs/" + job);
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_FALSE(wrong_method.header("allow").empty());
  EXPECT_EQ(api("POST", "/api/v2/analytics/conversations/details/jobs/" + job + "/results").status, 405);
  const auto results = "/api/v2/analytics/conversations/details/jobs/" + job + "/results";
  EXPECT_EQ(api("GET", results + "?cursor=forged").status, 400);
  EXPECT_EQ(api("GET", results + "?cursor=c1-00000000").status, 400);
  EXPECT_EQ(api("GET", results + "?pageSize=0").status, 400);
  EXPECT_EQ(api("GET", results + "?pageSize=abc").status, 400);
  EXPECT_EQ(api("GET", "/api/v2/nothing/here").status, 404);
  EXPECT_EQ(api("GET", "/api/v2/bulk/jobs/" + job + "/results/chunk-00000").status, 404);  // not a bulk job
  HttpCall big;
  big.method = "POST";
  big.url = url("/api/v2/bulk/jobs/users");
  big.headers = {"Authorization: Bearer " + token_};
  big.body = std::string(2 << 20, ' ');
  EXPECT_EQ(http(big).status, 413);
}

TEST_F(ServerTest, JobsWalkThroughTheirStatesOverJobSeconds) {
  FakeClock clock;
  auto s = quick_settings();
  s.clock = &clock;
  s.job_seconds = 9;
  s.jobs.push_back({"conversations", 5, 5});
  s.jobs.push_back({"bulk:analytics", 5, 5});
  start(s);
  const auto analytics = "/api/v2/analytics/conversations/details/jobs/" + server_->jobs()[0].job_id;
  const auto bulk = "/api/v2/bulk/jobs/" + server_->jobs()[1].job_id;
  EXPECT_EQ(field(api("GET", analytics).body, "state"), "QUEUED");
  EXPECT_EQ(field(api("GET", bulk).body, "jobState"), "queued");
  EXPECT_EQ(api("GET", analytics + "/results").status, 400);  // not FULFILLED yet
  EXPECT_EQ(api("GET", bulk + "/results/chunk-00000").status, 400);
  clock.advance(std::chrono::seconds(4));
  EXPECT_EQ(field(api("GET", analytics).body, "state"), "PENDING");
  auto processing = api("GET", bulk);
  EXPECT_EQ(field(processing.body, "jobState"), "processing");
  EXPECT_EQ(processing.body.find("\"chunks\""), std::string::npos);
  clock.advance(std::chrono::seconds(6));
  EXPECT_EQ(field(api("GET", analytics).body, "state"), "FULFILLED");
  EXPECT_EQ(field(api("GET", bulk).body, "jobState"), "completed");
}

TEST_F(ServerTest, DeleteCancelsAnAnalyticsJob) {
  FakeClock clock;
  auto s = quick_settings();
  s.clock = &clock;
  s.job_seconds = 10;
  s.jobs.push_back({"users", 5, 5});
  start(s);
  const auto path = "/api/v2/analytics/users/details/jobs/" + server_->jobs()[0].job_id;
  EXPECT_EQ(api("DELETE", path).status, 204);
  clock.advance(std::chrono::seconds(20));
  EXPECT_EQ(field(api("GET", path).body, "state"), "CANCELLED");
  EXPECT_EQ(api("DELETE", "/api/v2/analytics/users/details/jobs/unknown").status, 404);
}

TEST_F(ServerTest, RateLimitHeadersAndBudget) {
  FakeClock clock;
  auto s = quick_settings();
  s.clock = &clock;
  s.rate_limit_requests = 3;
  s.rate_limit_window_seconds = 60;
  start(s);
  token_ = token();  // /oauth/token does not spend the API budget
  auto first = api("GET", "/api/v2/bulk/jobs/x");
  EXPECT_EQ(first.header("inin-ratelimit-count"), "1");
  EXPECT_EQ(first.header("inin-ratelimit-allowed"), "3");
  EXPECT_EQ(first.header("inin-ratelimit-reset"), "60");
  EXPECT_EQ(first.header("x-ratelimit-remaining"), "2");
  api("GET", "/api/v2/bulk/jobs/x");
  api("GET", "/api/v2/bulk/jobs/x");
  auto limited = api("GET", "/api/v2/bulk/jobs/x");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("retry-after"), "60");
  EXPECT_EQ(field(limited.body, "code"), "too.many.requests");
  EXPECT_EQ(limited.header("x-ratelimit-remaining"), "0");
  clock.advance(std::chrono::seconds(60));
  EXPECT_EQ(api("GET", "/api/v2/bulk/jobs/x").status, 404);
}

TEST_F(ServerTest, TokensExpireAfterTheirTtl) {
  FakeClock clock;
  auto s = quick_settings();
  s.clock = &clock;
  s.token_ttl = std::chrono::seconds(10);
  start(s);
  auto r = login();
  EXPECT_NE(r.body.find("\"expires_in\":10"), std::string::npos);
  EXPECT_EQ(api("GET", "/api/v2/bulk/jobs/x").status, 404);
  clock.advance(std::chrono::seconds(11));
  EXPECT_EQ(api("GET", "/api/v2/bulk/jobs/x").status, 401);
}

TEST_F(ServerTest, StatsCountRoutesAndChecksumExpectedKeys) {
  auto s = quick_settings();
  s.jobs.push_back({"bulk:users", 40, 10});
  s.jobs.push_back({"conversations", 15, 5});
  start(s);
  api("GET", "/api/v2/bulk/jobs/" + server_->jobs()[0].job_id);
  api("GET", "/api/v2/bulk/jobs/unknown");
  HttpCall call;
  call.url = url("/__sim/stats");
  auto stats = http(call);
  ASSERT_EQ(stats.status, 200);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(stats.body).get(doc), simdjson::SUCCESS) << stats.body;
  EXPECT_EQ(std::uint64_t(doc["requests"]["byRoute"]["GET /api/v2/bulk/jobs/{jobId}"]["200"]), 1u);
  EXPECT_EQ(std::uint64_t(doc["requests"]["byRoute"]["GET /api/v2/bulk/jobs/{jobId}"]["404"]), 1u);
  EXPECT_EQ(std::uint64_t(doc["requests"]["byRoute"]["POST /oauth/token"]["200"]), 1u);
  auto jobs = doc["jobs"].get_array();
  ASSERT_EQ(jobs.size(), 2u);
  for (auto j : jobs) {
    const std::string id{std::string_view(j["jobId"])};
    EXPECT_EQ(std::string_view(j["checksum"]), checksum_hex(key_checksum(server_->expected_keys(id))));
    EXPECT_EQ(std::uint64_t(j["records"]), server_->expected_keys(id).size());
  }
}

}  // namespace
}  // namespace gb::simulator::test
