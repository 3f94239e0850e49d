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
