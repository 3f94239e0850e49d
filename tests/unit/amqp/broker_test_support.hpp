#pragma once
// For the tests against a real RabbitMQ: one node per test binary (start-up
// takes seconds), queues named after the test, small helpers.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>

#include "amqp/broker_url.hpp"
#include "amqp/consumer.hpp"
#include "amqp/publisher.hpp"
#include "testing/rabbitmq_server.hpp"

namespace gb::amqp {

using namespace std::chrono_literals;

// Started on first use, stopped when the test binary exits.
inline fixtures::RabbitMqServer& shared_broker() {
  static fixtures::RabbitMqServer server;
  static const bool reported = [] {
    std::cerr << "[ broker   ] RabbitMQ node " << server.node() << " started in " << server.last_startup().count()
              << " ms on port " << server.port() << "\n";
    return true;
  }();
  (void)reported;
  return server;
}

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fixtures::RabbitMqServer::available()) GTEST_SKIP() << "rabbitmq-server is not installed (or not root)";
    url_ = BrokerUrl::parse(shared_broker().url()).value();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    queue_ = std::string("gb.") + info->test_suite_name() + "." + info->name();
  }

  // A consumer on queue_ (declared as Celery declares it), prefetch 1.
  Consumer consumer(const ConnectionOptions& options = {}) {
    auto c = Consumer::open(url_, options);
    EXPECT_TRUE(c.ok()) << c.error().describe();
    EXPECT_TRUE(c->connection().declare_queue(queue_, true).ok());
    EXPECT_TRUE(c->set_prefetch(1).ok());
    auto consumed = c->consume(queue_);
    EXPECT_TRUE(consumed.ok()) << consumed.error().describe();
    return std::move(c).value();
  }

  Publisher publisher() {
    auto p = Publisher::open(url_);
    EXPECT_TRUE(p.ok()) << p.error().describe();
    EXPECT_TRUE(p->connection().declare_queue(queue_, true).ok());
    return std::move(p).value();
  }

  static Message text(std::string body) {
    Message m;
    m.body = std::move(body);
    m.content_type = "text/plain";
    return m;
  }

  BrokerUrl url_;
  std::string queue_;
};

}  // namespace gb::amqp
