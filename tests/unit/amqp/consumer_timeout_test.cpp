// RabbitMQ's consumer timeout (a frequent Celery complaint): a delivery held
// unacknowledged too long closes the channel. The consumer reports it as lost
// (reconnect), and the message is delivered again. Its own node (configured
// with a short timeout), so it lives in the private-broker binary.
#include <gtest/gtest.h>

#include <iostream>

#include "amqp/consumer.hpp"
#include "amqp/publisher.hpp"
#include "testing/rabbitmq_server.hpp"

namespace gb::amqp {
namespace {

using namespace std::chrono_literals;

TEST(ConsumerTimeout, HeldTooLongClosesTheChannelAndTheMessageComesBack) {
  if (!fixtures::RabbitMqServer::available()) GTEST_SKIP() << "rabbitmq-server is not installed (or not root)";
  fixtures::RabbitMqOptions options;
  options.consumer_timeout = 2s;
  fixtures::RabbitMqServer server(options);
  std::cerr << "[ broker   ] started in " << server.last_startup().count() << " ms\n";
  const BrokerUrl url = BrokerUrl::parse(server.url()).value();
  const std::string queue = "gb.consumer-timeout";

  auto pub = Publisher::open(url);
  ASSERT_TRUE(pub.ok());
  ASSERT_TRUE(pub->connection().declare_queue(queue, true).ok());
  Message m;
  m.body = "slow";
  ASSERT_TRUE(pub->publish("", queue, m).ok());

  auto c = Consumer::open(url);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->set_prefetch(1).ok());
  ASSERT_TRUE(c->consume(queue).ok());
  auto held = c->next_delivery(10s);
  ASSERT_TRUE(held.ok() && held->has_value());

  std::optional<Error> lost;
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (!lost && std::chrono::steady_clock::now() < until) {
    auto d = c->next_delivery(500ms);  // heartbeats keep flowing; the ack does not come
    if (!d.ok()) lost = d.error();
  }
  ASSERT_TRUE(lost.has_value()) << "the broker did not enforce consumer_timeout";
  EXPECT_EQ(lost->kind, ErrorKind::kTransient);
  EXPECT_NE(lost->message.find("PRECONDITION_FAILED"), std::string::npos) << lost->message;
  EXPECT_FALSE(c->is_open());
  EXPECT_TRUE(c->connection().is_open());                                  // only the channel went
  EXPECT_EQ(c->ack((*held)->tag).error().kind, ErrorKind::kInvalidInput);  // its tag died with the channel

  auto again = Consumer::open(url);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(again->consume(queue).ok());
  auto d = again->next_delivery(10s);
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_TRUE((*d)->redelivered);
  EXPECT_TRUE(again->ack((*d)->tag).ok());
}

}  // namespace
}  // namespace gb::amqp
