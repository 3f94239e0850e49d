// parse_s3_url, the environment's credentials, and how S3's answers become
// Errors (transient or permanent, with S3's code, without secrets).
#include "sinks/s3/s3_settings.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <map>

#include "sinks/s3/detail/s3_errors.hpp"

namespace gb::sinks {
namespace {

TEST(ParseS3Url, BucketPrefixEndpointRegionGzip) {
  auto s = parse_s3_url("s3://my-bucket.v2/exports/daily?endpoint=http://127.0.0.1:9000&region=eu-west-1&gzip=1");
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->bucket, "my-bucket.v2");
  EXPECT_EQ(s->prefix, "exports/daily");
  EXPECT_EQ(s->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(s->region, "eu-west-1");
  EXPECT_TRUE(s->gzip);
  EXPECT_TRUE(s->access_key_id.empty());
  EXPECT_EQ(s->multipart_threshold, std::uint64_t{64} << 20);
}

TEST(ParseS3Url, DefaultsRegionUsEast1AndTheAwsEndpoint) {
  auto s = parse_s3_url("s3://bucket");
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->prefix, "");
  EXPECT_EQ(s->region, "us-east-1");
  EXPECT_EQ(s->endpoint, "https://s3.us-east-1.amazonaws.com");
  EXPECT_FALSE(s->gzip);
  auto r = parse_s3_url("s3://bucket/p/?region=ap-south-1&endpoint=https%3A%2F%2Fs3.example.com%2F");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->prefix, "p");
  EXPECT_EQ(r->endpoint, "https://s3.example.com");
}

void expect_invalid(const std::string& url, const std::string& says) {
  auto s = parse_s3_url(url);
  ASSERT_FALSE(s.ok()) << url;
  EXPECT_EQ(s.error().kind, ErrorKind::kInvalidInput) << url;
  EXPECT_NE(s.error().message.find(says), std::string::npos) << url << ": " << s.error().message;
}

TEST(ParseS3Url, RefusesWhatS3OrWeCannotUse) {
  expect_invalid("file:/tmp/x", "expected s3://");
  expect_invalid("s3://ab", "3-63");
  expect_invalid("s3://" + std::string(64, 'a'), "3-63");
  expect_invalid("s3://My_Bucket", "character");
  expect_invalid("s3://-bucket", "start and end");
  expect_invalid("s3://a..b", "adjacent periods");
  expect_invalid("s3://192.168.1.1", "IP address");
  expect_invalid("s3://key:secret@bucket", "carry no credentials");
  expect_invalid("s3://bucket/a//b", "segment");
  expect_invalid("s3://bucket/a/../b", "segment");
  expect_invalid("s3://bucket?endpoint=ftp://host", "http://");
  expect_invalid("s3://bucket?endpoint=http://host/path", "path");
  expect_invalid("s3://bucket?endpoint=http://host:99999", "port");
  expect_invalid("s3://bucket?endpoint=http://host:x", "port");
  expect_invalid("s3://bucket?endpoint=http://", "no host");
  expect_invalid("s3://bucket?region=US_EAST", "region");
  expect_invalid("s3://bucket?gzip=yes", "gzip");
  expect_invalid("s3://bucket?acl=public", "unknown parameter 'acl'");
}

TEST(ParseS3Url, NeverEchoesUserInfoOfAnEndpoint) {
  auto s = parse_s3_url("s3://bucket?endpoint=http://AKIA:SuperSecret@host");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.find("SuperSecret"), std::string::npos) << s.error().message;
}

TEST(S3Credentials, FromTheEnvironmentOrAClearError) {
  S3Settings s;
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::setenv("AWS_SECRET_ACCESS_KEY", "sekrit", 1);
  auto missing = credentials_from_environment(s);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(missing.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
  ::setenv("AWS_ACCESS_KEY_ID", "AKIA1", 1);
  ::setenv("AWS_SESSION_TOKEN", "tok", 1);
  ASSERT_TRUE(credentials_from_environment(s).ok());
  EXPECT_EQ(s.access_key_id, "AKIA1");
  EXPECT_EQ(s.secret_access_key, "sekrit");
  EXPECT_EQ(s.session_token, "tok");
  EXPECT_EQ(describe_s3(s).find("sekrit"), std::string::npos);
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_SESSION_TOKEN");
}

TEST(S3Credentials, FromAGivenLookup) {
  S3Settings s;
  const std::map<std::string, std::string> vars = {{"AWS_ACCESS_KEY_ID", "AKIA2"}, {"AWS_SECRET_ACCESS_KEY", "s2"}};
  auto env = [&](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  ASSERT_TRUE(credentials_from_environment(s, env).ok());
  EXPECT_EQ(s.access_key_id, "AKIA2");
  EXPECT_EQ(s.secret_access_key, "s2");
  EXPECT_EQ(s.session_token, "");
  auto none = credentials_from_environment(s, [](std::string_view) { return std::optional<std::string>(); });
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::kInvalidInput);
}

using s3::detail::curl_failure;
using s3::detail::s3_error_in_ok_body;
using s3::detail::s3_http_error;

std::string xml_error(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message +
         "</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>";
}

TEST(S3Errors, TransientForServerTroubleAndThrottling) {
  for (const auto& [status, code] : std::vector<std::pair<long, std::string>>{{500, "InternalError"},
                                                                              {503, "SlowDown"},
                                                                              {503, "ServiceUnavailable"},
                                                                              {400, "RequestTimeout"},
                                                                              {429, ""},
                                                                              {502, ""}}) {
    const Error e = s3_http_error(status, code.empty() ? "" : xml_error(code, "try again"), "PUT s3://b/k");
    EXPECT_EQ(e.kind, ErrorKind::kTransient) << status << " " << code;
    EXPECT_EQ(e.http_status, status);
  }
}

TEST(S3Errors, PermanentWithS3sCodeForClientErrors) {
  const Error no_bucket =
      s3_http_error(404, xml_error("NoSuchBucket", "The specified bucket does not exist"), "PUT s3://nope/k");
  EXPECT_EQ(no_bucket.kind, ErrorKind::kPermanent);
  EXPECT_EQ(no_bucket.message, "S3 PUT s3://nope/k: HTTP 404 NoSuchBucket: The specified bucket does not exist");
  EXPECT_EQ(s3_http_error(403, xml_error("SignatureDoesNotMatch", "x"), "GET s3://b/k").kind, ErrorKind::kPermanent);
  EXPECT_EQ(s3_http_error(400, xml_error("EntityTooSmall", "x"), "w").kind, ErrorKind::kPermanent);
  const Error head = s3_http_error(403, "", "HEAD s3://b");
  EXPECT_EQ(head.message, "S3 HEAD s3://b: HTTP 403 AccessDenied");
  EXPECT_EQ(s3_error_in_ok_body(xml_error("InternalError", "x"), "w").kind, ErrorKind::kTransient);
  EXPECT_EQ(s3_error_in_ok_body(xml_error("InvalidPart", "x"), "w").kind, ErrorKind::kPermanent);
}

TEST(S3Errors, NetworkFailuresAreTransientTlsTrustIsNot) {
  EXPECT_EQ(curl_failure(CURLE_COULDNT_CONNECT, "Connection refused", "PUT s3://b/k").kind, ErrorKind::kTransient);
  EXPECT_TRUE(curl_failure(CURLE_COULDNT_CONNECT, "", "x").not_sent);
  EXPECT_EQ(curl_failure(CURLE_RECV_ERROR, "reset", "x").kind, ErrorKind::kTransient);
  EXPECT_EQ(curl_failure(CURLE_OPERATION_TIMEDOUT, "", "x").kind, ErrorKind::kTransient);
  EXPECT_EQ(curl_failure(CURLE_PEER_FAILED_VERIFICATION, "", "x").kind, ErrorKind::kPermanent);
}

}  // namespace
}  // namespace gb::sinks
