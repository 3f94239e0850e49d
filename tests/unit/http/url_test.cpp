#include "http/url.hpp"

#include <gtest/gtest.h>

namespace gb::http {
namespace {

TEST(ParseUrl, Parts) {
  auto u = parse_url("HTTPS://API.MyPureCloud.com/api/v2/bulk?x=1");
  ASSERT_TRUE(u.ok()) << u.error().describe();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "api.mypurecloud.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/api/v2/bulk");
  EXPECT_EQ(u->query, "x=1");
  auto v = parse_url("http://127.0.0.1:8080");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->port, 8080);
  EXPECT_EQ(v->path, "/");
}

TEST(ParseUrl, Rejects) {
  for (const char* bad : {"", "api.mypurecloud.com/x", "/api/v2", "ftp://h/x", "file:///etc/passwd",
                          "https://user:pw@h/x", "http://", "http://h:99999/", "javascript:alert(1)"}) {
    EXPECT_FALSE(parse_url(bad).ok()) << bad;
  }
}

// Found by fuzz_url (fuzz/corpus/url/port_zero): port 0 parsed, so an API URL
// naming it was accepted and every call then failed to connect.
TEST(ParseUrl, RejectsPortZero) {
  for (const char* bad : {"HTTPS://AP33:0/", "http://127.0.0.1:0", "http://h:00/x"}) {
    auto parsed = parse_url(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().kind, ErrorKind::kInvalidInput);
    EXPECT_EQ(parsed.error().message, "URL has a bad port");
  }
  EXPECT_EQ(parse_url("http://h:1/")->port, 1);
  EXPECT_EQ(parse_url("http://h:65535/")->port, 65535);
}

TEST(SameOrigin, SchemeHostAndPort) {
  const char* base = "https://api.mypurecloud.com";
  EXPECT_TRUE(same_origin("https://api.mypurecloud.com/api/v2/bulk/jobs/j/results/c", base));
  EXPECT_TRUE(same_origin("https://API.mypurecloud.com:443/x", base));
  EXPECT_FALSE(same_origin("http://api.mypurecloud.com/x", base));
  EXPECT_FALSE(same_origin("https://api.mypurecloud.com:8443/x", base));
  EXPECT_FALSE(same_origin("https://evil.example/x", base));
  EXPECT_FALSE(same_origin("https://api.mypurecloud.com.evil.example/x", base));
  EXPECT_FALSE(same_origin("https://api.mypurecloud.com@evil.example/x", base));
  EXPECT_FALSE(same_origin("not a url", base));
  EXPECT_TRUE(same_origin("http://127.0.0.1:5000/a", "http://127.0.0.1:5000"));
  EXPECT_FALSE(same_origin("http://127.0.0.1:5001/a", "http://127.0.0.1:5000"));
}

TEST(JoinUrl, BaseAndPath) {
  EXPECT_EQ(*join_url("https://api.mypurecloud.com", "/api/v2/bulk/jobs/users"),
            "https://api.mypurecloud.com/api/v2/bulk/jobs/users");
  EXPECT_EQ(*join_url("http://127.0.0.1:5000/prefix/", "/api/v2/x?cursor=abc&pageSize=10"),
            "http://127.0.0.1:5000/prefix/api/v2/x?cursor=abc&pageSize=10");
  EXPECT_EQ(*join_url("https://h/?old=1", "/p"), "https://h/p");
  EXPECT_FALSE(join_url("https://h", "api/v2").ok());
  EXPECT_FALSE(join_url("h", "/api/v2").ok());
}

}  // namespace
}  // namespace gb::http
