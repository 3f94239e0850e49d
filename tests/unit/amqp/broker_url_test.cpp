#include "amqp/broker_url.hpp"

#include <gtest/gtest.h>

namespace gb::amqp {
namespace {

TEST(BrokerUrl, Parts) {
  auto u = BrokerUrl::parse("amqp://worker:s%40cret@rabbit.example:5673/prod");
  ASSERT_TRUE(u.ok()) << u.error().describe();
  EXPECT_EQ(u->user, "worker");
  EXPECT_EQ(u->password, "s@cret");
  EXPECT_EQ(u->host, "rabbit.example");
  EXPECT_EQ(u->port, 5673);
  EXPECT_EQ(u->vhost, "prod");
}

TEST(BrokerUrl, DefaultsAreGuestLocalhostAndSlash) {
  for (const char* text :
       {"amqp://localhost", "amqp://localhost/", "AMQP://localhost:5672/%2f", "amqp://localhost/%2F"}) {
    auto u = BrokerUrl::parse(text);
    ASSERT_TRUE(u.ok()) << text << ": " << u.error().describe();
    EXPECT_EQ(u->user, "guest") << text;
    EXPECT_EQ(u->password, "guest") << text;
    EXPECT_EQ(u->port, 5672) << text;
    EXPECT_EQ(u->vhost, "/") << text;
  }
  auto v6 = BrokerUrl::parse("amqp://u:p@[::1]:15672/v");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 15672);
  auto no_password = BrokerUrl::parse("amqp://bob@h/");
  ASSERT_TRUE(no_password.ok());
  EXPECT_EQ(no_password->user, "bob");
}

TEST(BrokerUrl, Rejects) {
  for (const char* bad : {"", "http://h/", "amqps://h/", "amqp://", "amqp://:p@h/", "amqp://h:0/", "amqp://h:65536/",
                          "amqp://h:x/", "amqp://h:/", "amqp://h/a/b", "amqp://h/?heartbeat=5", "amqp://h/%zz",
                          "amqp://u:%4@h/", "amqp://h /", "amqp://[::1/"}) {
    auto u = BrokerUrl::parse(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().kind, ErrorKind::kInvalidInput) << bad;
  }
}

TEST(BrokerUrl, ErrorsAndRedactionNeverShowThePassword) {
  auto bad = BrokerUrl::parse("amqp://u:hunter2@h:99999/");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.find("hunter2"), std::string::npos);
  auto u = BrokerUrl::parse("amqp://u:hunter2@h:5672/%2f");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->redacted(), "amqp://u:***@h:5672/%2F");
  auto round = BrokerUrl::parse("amqp://a%20b:x@h/my%2Fvhost");
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->vhost, "my/vhost");
  EXPECT_EQ(round->redacted(), "amqp://a%20b:***@h:5672/my%2Fvhost");
}

}  // namespace
}  // namespace gb::amqp
