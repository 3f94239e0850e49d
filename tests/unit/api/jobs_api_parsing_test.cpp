// Responses the simulator never sends (it follows the spec), so a scripted
// Transport stands in for a misbehaving server here.
#include <gtest/gtest.h>

#include "api/genesys_jobs_api.hpp"

namespace gb::api {
namespace {

class ScriptedTransport final : public http::Transport {
 public:
  Result<http::Response> send(const http::Request& request, const http::BodySink* sink) override {
    last_url = request.url;
    ++calls;
    http::Response response;
    response.status = status;
    if (sink != nullptr && status == 200) {
      if (Status accepted = (*sink)(body); !accepted.ok()) return std::move(accepted).error();
    } else {
      response.body = body;
    }
    return response;
  }
  int status = 200;
  std::string body;
  std::string last_url;
  int calls = 0;
};

class JobsApiParsing : public ::testing::Test {
 protected:
  Result<JobSnapshot> bulk_status(std::string body) {
    transport_.body = std::move(body);
    return api_.get_job(ExportType::parse("bulk:users").value(), "job-1");
  }
  ScriptedTransport transport_;
  GenesysJobsApi api_{transport_, GenesysJobsApiOptions{"http://api.test:8080/"}};
};

TEST_F(JobsApiParsing, BulkStatusWithChunksInAnyFieldOrder) {
  auto job = bulk_status(R"({"chunks":[{"url":"http://api.test:8080/api/v2/bulk/jobs/job-1/results/c2","size":7,
      "chunkId":"c2"},{"chunkId":"c1","url":"http://api.test:8080/api/v2/bulk/jobs/job-1/results/c1"}],
      "percentComplete":100,"jobState":"completed","extra":{"x":[1,2]}})");
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_EQ(transport_.last_url, "http://api.test:8080/api/v2/bulk/jobs/job-1");
  EXPECT_EQ(job->phase, JobPhase::kSucceeded);
  ASSERT_EQ(job->chunks.size(), 2u);
  EXPECT_EQ(job->chunks[0].chunk_id, "c2");
  EXPECT_EQ(job->chunks[0].size, 7u);
  EXPECT_EQ(job->chunks[1].chunk_id, "c1");
  EXPECT_EQ(job->percent_complete, 100);
}

TEST_F(JobsApiParsing, FailedJobKeepsTheApisMessage) {
  auto job = bulk_status(R"({"jobState":"failed","errorMessage":"export quota\nexceeded"})");
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->phase, JobPhase::kFailed);
  EXPECT_EQ(job->error_message, "export quota exceeded");
}

TEST_F(JobsApiParsing, MalformedResponsesAreClassified) {
  struct Case {
    std::string body;
    ErrorKind kind;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"jobState":"complet)", ErrorKind::kTransient, "not valid JSON"},
      {"<html>oops</html>", ErrorKind::kTransient, "not valid JSON"},
      {R"({"percentComplete":50})", ErrorKind::kPermanent, "has no jobState"},
      {R"({"jobState":"paused"})", ErrorKind::kPermanent, "unknown job state \"paused\""},
      {R"({"jobState":7})", ErrorKind::kPermanent, "jobState is not a string"},
      {R"({"jobState":"completed","chunks":[{"chunkId":"../x","url":"http://api.test:8080/y"}]})",
       ErrorKind::kPermanent, "invalid chunkId"},
      {R"({"jobState":"completed","chunks":[{"chunkId":"c1"}]})", ErrorKind::kPermanent, "has no url"},
  };
  for (const Case& c : cases) {
    auto job = bulk_status(c.body);
    ASSERT_FALSE(job.ok()) << c.body;
    EXPECT_EQ(job.error().kind, c.kind) << c.body;
    EXPECT_NE(job.error().message.find(c.message), std::string::npos) << job.error().message;
  }
}

TEST_F(JobsApiParsing, CreateNeedsAValidJobId) {
  const auto type = ExportType::parse("bulk:users").value();
  transport_.status = 202;
  transport_.body = R"({"jobId":"a/../b","jobState":"queued"})";
  auto bad = api_.create_job(type, "{}");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kPermanent);
  transport_.body = R"({"jobState":"queued","jobId":"job-9"})";
  auto good = api_.create_job(type, "{}");
  ASSERT_TRUE(good.ok()) << good.error().describe();
  EXPECT_EQ(*good, "job-9");
  EXPECT_EQ(transport_.last_url, "http://api.test:8080/api/v2/bulk/jobs/users");
}

TEST_F(JobsApiParsing, PageCursorIsEncodedOnTheWayOutAndReadOnTheWayIn) {
  const auto type = ExportType::parse("users").value();
  transport_.body = R"({"userDetails":[{"userId":"u1"}],"cursor":"next+/=page"})";
  auto page = api_.fetch_page(type, "job-1", "a b&c", 25);
  ASSERT_TRUE(page.ok()) << page.error().describe();
  EXPECT_EQ(transport_.last_url,
            "http://api.test:8080/api/v2/analytics/users/details/jobs/job-1/results?pageSize=25&cursor=a%20b%26c");
  EXPECT_EQ(page->cursor, "next+/=page");
  EXPECT_EQ(page->body, transport_.body);

  for (const char* last : {R"({"userDetails":[]})", R"({"cursor":null,"userDetails":[]})"}) {
    transport_.body = last;
    auto end = api_.fetch_page(type, "job-1", "", 25);
    ASSERT_TRUE(end.ok()) << last;
    EXPECT_TRUE(end->cursor.empty());
  }
  transport_.body = R"({"userDetails":[{"userId":"u1"})";
  auto cut = api_.fetch_page(type, "job-1", "", 25);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().kind, ErrorKind::kTransient);
}

TEST_F(JobsApiParsing, CursorIsFoundBesideRecordsWithInvalidUtf8) {
  const auto type = ExportType::parse("conversations").value();
  const std::string bad = "\xff\xfe";  // never valid UTF-8; records/ quarantines such a record later
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"conversations":[{"conversationId":"c1","x":")" + bad + R"("}],"cursor":"p2"})", "p2"},
      {R"({"cursor": "p\u00e9\n" , "conversations":[{"conversationId":")" + bad + R"("}]})", "p\xc3\xa9\n"},
      {R"({"conversations":[{"a":")" + bad + R"("}],"cursor":"\u00e9t\u00e9"})", "\xc3\xa9t\xc3\xa9"},
      {R"({"conversations":[{"a":")" + bad + R"("}]})", ""},
      {R"({"conversations":[{"a":")" + bad + R"("}],"cursor":null})", ""},
  };
  for (const auto& [body, cursor] : cases) {
    transport_.body = body;
    auto page = api_.fetch_page(type, "job-1", "", 10);
    ASSERT_TRUE(page.ok()) << body << ": " << page.error().describe();
    EXPECT_EQ(page->cursor, cursor) << body;
    EXPECT_EQ(page->body, body);  // untouched, invalid bytes included
  }
  transport_.body = R"({"conversations":[],"cursor":"a)" + bad + R"("})";
  auto bad_cursor = api_.fetch_page(type, "job-1", "", 10);
  ASSERT_FALSE(bad_cursor.ok());
  EXPECT_EQ(bad_cursor.error().kind, ErrorKind::kPermanent);
  transport_.body = R"({"conversations":[{"a":")" + bad + R"("})";
  auto cut = api_.fetch_page(type, "job-1", "", 10);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().kind, ErrorKind::kTransient);
}

TEST_F(JobsApiParsing, ChunkDownloadStreamsToTheSink) {
  transport_.body = R"([{"id":"1"}])";
  std::string got;
  const http::BodySink sink = [&](std::string_view bytes) {
    got.append(bytes);
    return ok_status();
  };
  ASSERT_TRUE(api_.download_chunk(ChunkInfo{"c1", "http://api.test:8080/api/v2/bulk/jobs/j/results/c1", 0}, sink).ok());
  EXPECT_EQ(got, transport_.body);
  transport_.status = 404;
  transport_.body = R"({"message":"chunk not found","code":"not.found","status":404})";
  const Status missing =
      api_.download_chunk(ChunkInfo{"c1", "http://api.test:8080/api/v2/bulk/jobs/j/results/c1", 0}, sink);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(missing.error().http_status, 404);
}

}  // namespace
}  // namespace gb::api
