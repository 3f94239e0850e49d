// Against a real redis-server started by the test (testing/redis_server.hpp).
#include "redis/client.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <memory>

#include "redis/subscriber.hpp"
#include "testing/redis_server.hpp"

namespace gb::redis {
namespace {

using namespace std::chrono_literals;

class RedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures::RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
    server_ = std::make_unique<fixtures::RedisServer>();
    std::cerr << "[ redis    ] started in " << server_->startup().count() << " ms\n";
    url_ = RedisUrl::parse(server_->url()).value();
  }
  std::unique_ptr<fixtures::RedisServer> server_;
  RedisUrl url_;
};

// What Celery's redis backend does for a result, seen the two ways a Python
// producer's get() looks: the announcement and the key.
TEST_F(RedisTest, SetexAndPublishIsSeenBySubscriberAndByGet) {
  const std::string key = "celery-task-meta-6f1c7e1e";
  const std::string value = R"({"status": "SUCCESS", "result": {"records": 3}, "task_id": "6f1c7e1e"})";
  auto sub = Subscriber::connect(url_);
  ASSERT_TRUE(sub.ok()) << sub.error().describe();
  ASSERT_TRUE(sub->subscribe(key).ok());
  auto client = Client::connect(url_);
  ASSERT_TRUE(client.ok()) << client.error().describe();
  auto stored = client->setex_and_publish(key, 86400s, value);
  ASSERT_TRUE(stored.ok()) << stored.error().describe();

  auto message = sub->next_message(5s);
  ASSERT_TRUE(message.ok()) << message.error().describe();
  ASSERT_TRUE(message->has_value());
  EXPECT_EQ((*message)->channel, key);
  EXPECT_EQ((*message)->payload, value);
  auto got = client->get(key);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value_or(""), value);
  auto ttl = client->ttl(key);
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(*ttl, 86000);
  EXPECT_LE(*ttl, 86400);
}

TEST_F(RedisTest, MissingKeyAndTimeoutsLeaveTheConnectionUsable) {
  auto client = Client::connect(url_);
  ASSERT_TRUE(client.ok());
  auto missing = client->get("no-such-key");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  EXPECT_EQ(*client->ttl("no-such-key"), -2);
  EXPECT_EQ(client->setex_and_publish("k", 0s, "v").error().kind, ErrorKind::kInvalidInput);

  auto sub = Subscriber::connect(url_);
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(sub->subscribe("chan").ok());
  auto none = sub->next_message(200ms);
  ASSERT_TRUE(none.ok()) << none.error().describe();
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(sub->is_open());
  ASSERT_TRUE(client->setex_and_publish("chan", 10s, "late").ok());
  auto late = sub->next_message(5s);
  ASSERT_TRUE(late.ok() && late->has_value());
  EXPECT_EQ((*late)->payload, "late");
}

TEST_F(RedisTest, DatabaseFromTheUrlIsSelected) {
  auto db3 = Client::connect(RedisUrl::parse(server_->url(3)).value());
  ASSERT_TRUE(db3.ok()) << db3.error().describe();
  ASSERT_TRUE(db3->set("k", "in db 3").ok());
  auto db0 = Client::connect(url_);
  ASSERT_TRUE(db0.ok());
  EXPECT_FALSE(db0->get("k")->has_value());
  EXPECT_EQ(db3->get("k")->value_or(""), "in db 3");
}

TEST_F(RedisTest, PasswordIsSentAndAWrongOneIsUnauthorized) {
  fixtures::RedisServer guarded("s3cret");
  auto ok = Client::connect(RedisUrl::parse(guarded.url()).value());
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_TRUE(ok->set("k", "v").ok());

  RedisUrl wrong = RedisUrl::parse(guarded.url()).value();
  wrong.password = "not-the-password";
  auto refused = Client::connect(wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnauthorized) << refused.error().describe();
  EXPECT_EQ(refused.error().message.find("not-the-password"), std::string::npos) << refused.error().message;

  RedisUrl none = wrong;
  none.password.clear();
  auto anonymous = Client::connect(none);
  ASSERT_TRUE(anonymous.ok());  // connecting works; commands are refused
  auto get = anonymous->get("k");
  ASSERT_FALSE(get.ok());
  EXPECT_EQ(get.error().kind, ErrorKind::kUnauthorized);
  EXPECT_TRUE(anonymous->is_open());
}

TEST_F(RedisTest, ServerGoneIsConnectionLost) {
  auto client = Client::connect(url_);
  ASSERT_TRUE(client.ok());
  server_->stop();
  auto get = client->get("k");
  ASSERT_FALSE(get.ok());
  EXPECT_EQ(get.error().kind, ErrorKind::kTransient);
  EXPECT_NE(get.error().message.find("[connection lost]"), std::string::npos) << get.error().message;
  EXPECT_FALSE(client->is_open());
  EXPECT_FALSE(Client::connect(url_, 500ms).ok());
}

}  // namespace
}  // namespace gb::redis
