#include "redis/redis_url.hpp"

#include <gtest/gtest.h>

namespace gb::redis {
namespace {

TEST(RedisUrl, Parts) {
  auto u = RedisUrl::parse("redis://:s%3Acret@cache.example:6380/2");
  ASSERT_TRUE(u.ok()) << u.error().describe();
  EXPECT_EQ(u->host, "cache.example");
  EXPECT_EQ(u->port, 6380);
  EXPECT_EQ(u->user, "");
  EXPECT_EQ(u->password, "s:cret");
  EXPECT_EQ(u->db, 2);
  auto acl = RedisUrl::parse("redis://worker:pw@h/0");
  ASSERT_TRUE(acl.ok());
  EXPECT_EQ(acl->user, "worker");
  EXPECT_EQ(acl->password, "pw");
  auto lone = RedisUrl::parse("redis://pw@h");
  ASSERT_TRUE(lone.ok());
  EXPECT_EQ(lone->password, "pw");  // as redis-py reads it
}

TEST(RedisUrl, Defaults) {
  for (const char* text : {"redis://localhost", "redis://localhost/", "REDIS://localhost:6379/0"}) {
    auto u = RedisUrl::parse(text);
    ASSERT_TRUE(u.ok()) << text;
    EXPECT_EQ(u->port, 6379) << text;
    EXPECT_EQ(u->db, 0) << text;
    EXPECT_TRUE(u->password.empty()) << text;
  }
}

TEST(RedisUrl, Rejects) {
  for (const char* bad : {"", "http://h", "rediss://h", "redis://", "redis://h:0", "redis://h:70000", "redis://h/x",
                          "redis://h/-1", "redis://h/1/2", "redis://h?db=1", "redis://:%zz@h", "redis://h :1"}) {
    auto u = RedisUrl::parse(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().kind, ErrorKind::kInvalidInput) << bad;
  }
}

TEST(RedisUrl, RedactedHidesThePassword) {
  auto u = RedisUrl::parse("redis://:hunter2@h:6379/1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->redacted(), "redis://:***@h:6379/1");
  EXPECT_EQ(RedisUrl::parse("redis://h")->redacted(), "redis://h:6379/0");
  auto bad = RedisUrl::parse("redis://:hunter2@h:99999/1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace gb::redis
