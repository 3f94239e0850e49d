#include "http/status.hpp"

#include <gtest/gtest.h>

namespace gb::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Response response(int status, Headers headers = {}, std::string body = {}) {
  Response r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

TEST(FindHeader, IsCaseInsensitiveAndReturnsTheFirst) {
  const Headers h{{"Retry-After", "3"}, {"retry-after", "9"}, {"X", ""}};
  EXPECT_EQ(find_header(h, "RETRY-AFTER"), "3");
  EXPECT_EQ(find_header(h, "x"), "");
  EXPECT_FALSE(find_header(h, "missing"));
}

TEST(Classify, TransientStatuses) {
  for (int s : {408, 429, 502, 503, 504}) EXPECT_TRUE(is_transient_status(s)) << s;
  for (int s : {200, 400, 401, 403, 404, 405, 409, 410, 422, 500, 501}) EXPECT_FALSE(is_transient_status(s)) << s;
  EXPECT_TRUE(is_success(200));
  EXPECT_TRUE(is_success(204));
  EXPECT_FALSE(is_success(302));
}

TEST(Classify, ErrorKinds) {
  EXPECT_EQ(error_from_response(response(503), "x").kind, ErrorKind::kTransient);
  EXPECT_EQ(error_from_response(response(429), "x").kind, ErrorKind::kTransient);
  EXPECT_EQ(error_from_response(response(401), "x").kind, ErrorKind::kUnauthorized);
  for (int s : {400, 403, 404, 405, 409, 410, 422, 500}) {
    EXPECT_EQ(error_from_response(response(s), "x").kind, ErrorKind::kPermanent) << s;
  }
}

TEST(Classify, MessageCarriesApiCodeMessageStatusAndCorrelation) {
  Response r = response(404, {}, R"({"message":"job not found","code":"not.found","status":404,"contextId":"c"})");
  r.correlation_id = "abc";
  const Error e = error_from_response(r, "GET job J");
  EXPECT_EQ(e.http_status, 404);
  EXPECT_EQ(e.correlation_id, "abc");
  EXPECT_EQ(e.message, "GET job J: not.found: job not found");
  EXPECT_EQ(e.describe(), "permanent: HTTP 404: GET job J: not.found: job not found (correlation abc)");
}

TEST(Classify, OAuthErrorBody) {
  const Error e =
      error_from_response(response(401, {}, R"({"error":"invalid_client","description":"bad secret"})"), "token");
  EXPECT_EQ(e.message, "token: invalid_client: bad secret");
}

TEST(Classify, NonJsonOrHugeBodiesAreIgnored) {
  EXPECT_EQ(error_from_response(response(502, {}, "<html>bad gateway</html>"), "GET x").message, "GET x");
  EXPECT_EQ(error_from_response(response(500, {}, "{\"code\": 5}"), "").message, "HTTP 500");
  std::string huge = R"({"code":"big","message":")" + std::string(200000, 'a') + "\"}";
  EXPECT_EQ(error_from_response(response(400, {}, huge), "op").message, "op");
  // A long field is cut, and control characters cannot break the line.
  const Error e =
      error_from_response(response(400, {}, R"({"code":"c\nd","message":")" + std::string(1000, 'm') + "\"}"), "op");
  EXPECT_LT(e.message.size(), 700u);
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
}

// Found by fuzz_http_headers (fuzz/corpus/http_headers/error_body_bad_json):
// a field lookup after a syntax error half-way through the body read through
// a null pointer inside simdjson's on-demand parser.
TEST(Classify, ErrorBodiesBrokenHalfWayAreIgnored) {
  EXPECT_EQ(
      error_from_response(response(404, {}, R"({"message":"Wed, 21 Oct 2015 07s":404,"contextId":"1f2e"})"), "GET x")
          .message,
      "GET x");
  EXPECT_EQ(error_from_response(response(400, {}, R"({"code":"c","message":"m" "x"})"), "GET x").message, "GET x");
  EXPECT_EQ(error_from_response(response(400, {}, R"({"message":"m","code":"c"} trailing)"), "GET x").message, "GET x");
}

TEST(RetryAfter, Seconds) {
  EXPECT_EQ(retry_after(response(429, {{"Retry-After", "7"}})), milliseconds(7000));
  EXPECT_EQ(retry_after(response(503, {{"retry-after", " 0 "}})), milliseconds(0));
  EXPECT_FALSE(retry_after(response(503, {{"Retry-After", "-3"}})));
  EXPECT_FALSE(retry_after(response(503, {{"Retry-After", "soon"}})));
  EXPECT_FALSE(retry_after(response(503)));
}

TEST(RetryAfter, NegativeEmptyOrNotANumberIsIgnored) {
  for (const char* value : {"-5", "-0", "", "  ", "soon", "1.5", "+5", "5s", "0x10", "5 minutes"}) {
    EXPECT_FALSE(retry_after(response(429, {{"Retry-After", value}}))) << '"' << value << '"';
    EXPECT_FALSE(error_from_response(response(503, {{"Retry-After", value}}), "x").retry_after) << value;
  }
  // Nor does the rate window's reset stand in for it: the backoff applies.
  EXPECT_FALSE(retry_after(response(429, {{"Retry-After", "soon"}, {"inin-ratelimit-reset", "60"}})));
  EXPECT_FALSE(retry_after(response(429, {{"inin-ratelimit-reset", "-3"}})));
}

TEST(RetryAfter, AVeryLongWaitIsKeptAsLong) {
  EXPECT_EQ(retry_after(response(429, {{"Retry-After", "86400"}})), seconds(86400));
  // Beyond a week (or beyond int64) it is a week: still far longer than any patience.
  EXPECT_EQ(retry_after(response(429, {{"Retry-After", "99999999"}})), seconds(7 * 24 * 3600));
  EXPECT_EQ(retry_after(response(429, {{"Retry-After", "99999999999999999999999"}})), seconds(7 * 24 * 3600));
}

TEST(RetryAfter, HttpDateAgainstTheServersDate) {
  const Response r =
      response(503, {{"Date", "Wed, 21 Oct 2015 07:28:00 GMT"}, {"Retry-After", "Wed, 21 Oct 2015 07:28:30 GMT"}});
  EXPECT_EQ(retry_after(r), milliseconds(30'000));
}

TEST(RetryAfter, HttpDateAgainstOurClockWithoutDate) {
  const Response r = response(503, {{"Retry-After", "Wed, 21 Oct 2015 07:28:30 GMT"}});
  const auto now = std::chrono::system_clock::time_point(seconds(1445412480));  // 07:28:00
  EXPECT_EQ(retry_after(r, now), milliseconds(30'000));
  // A date in the past means "now".
  EXPECT_EQ(retry_after(r, now + seconds(100)), milliseconds(0));
}

TEST(RetryAfter, RateLimitResetOnlyOn429) {
  EXPECT_EQ(retry_after(response(429, {{"inin-ratelimit-reset", "12"}})), milliseconds(12'000));
  EXPECT_FALSE(retry_after(response(503, {{"inin-ratelimit-reset", "12"}})));
  // Retry-After wins when both are there.
  EXPECT_EQ(retry_after(response(429, {{"inin-ratelimit-reset", "12"}, {"Retry-After", "2"}})), milliseconds(2000));
}

TEST(RetryAfter, FilledIntoTransientErrors) {
  const Error e = error_from_response(response(429, {{"Retry-After", "4"}}), "x");
  ASSERT_TRUE(e.retry_after);
  EXPECT_EQ(*e.retry_after, milliseconds(4000));
  EXPECT_FALSE(error_from_response(response(400, {{"Retry-After", "4"}}), "x").retry_after);
}

}  // namespace
}  // namespace gb::http
