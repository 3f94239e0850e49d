// The broker restarted under a connected consumer and publisher: the errors
// say the connection is gone, new connections work, durable state survived.
// Its own node (it restarts it), so its own binary.
#include <gtest/gtest.h>

#include <iostream>

#include "amqp/consumer.hpp"
#include "amqp/publisher.hpp"
#include "testing/rabbitmq_server.hpp"

namespace gb::amqp {
namespace {

using namespace std::chrono_literals;

// Waits on the consumer until it reports an error (or gives up after `limit`).
std::optional<Error> first_error(Consumer& c, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    auto d = c.next_delivery(500ms);
    if (!d.ok()) return d.error();
  }
  return std::nullopt;
}

void restart_and_check(bool graceful) {
  if (!fixtures::RabbitMqServer::available()) GTEST_SKIP() << "rabbitmq-server is not installed (or not root)";
  fixtures::RabbitMqServer server;
  std::cerr << "[ broker   ] started in " << server.last_startup().count() << " ms\n";
  const BrokerUrl url = BrokerUrl::parse(server.url()).value();
  const std::string queue = "gb.restart";

  auto pub = Publisher::open(url);
  ASSERT_TRUE(pub.ok()) << pub.error().describe();
  ASSERT_TRUE(pub->connection().declare_queue(queue, true).ok());
  Message kept;
  kept.body = "persistent, confirmed before the restart";
  ASSERT_TRUE(pub->publish("", queue, kept).ok());
  auto consumer = Consumer::open(url);
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE(consumer->set_prefetch(1).ok());
  ASSERT_TRUE(consumer->consume(queue).ok());
  auto held = consumer->next_delivery(10s);  // held, unacked, across the restart
  ASSERT_TRUE(held.ok() && held->has_value());

  if (graceful) {
    server.stop(true);
  } else {
    server.stop(false);
  }
  const auto error = first_error(*consumer, 30s);
  ASSERT_TRUE(error.has_value()) << "no error after the broker stopped";
  EXPECT_EQ(error->kind, ErrorKind::kTransient) << error->describe();
  EXPECT_NE(error->message.find("[connection lost]"), std::string::npos) << error->message;
  if (graceful) {
    EXPECT_NE(error->message.find("320 CONNECTION_FORCED"), std::string::npos) << error->message;
  }
  EXPECT_FALSE(consumer->is_open());
  EXPECT_FALSE(consumer->ack((*held)->tag).ok());  // nothing to ack on a dead connection

  auto lost = pub->publish("", queue, kept);
  ASSERT_FALSE(lost.ok());
  EXPECT_FALSE(pub->is_open()) << lost.error().describe();
  EXPECT_EQ(lost.error().kind, ErrorKind::kTransient);

  server.start();
  std::cerr << "[ broker   ] restarted in " << server.last_startup().count() << " ms\n";
  auto again = Consumer::open(url);
  ASSERT_TRUE(again.ok()) << again.error().describe();
  ASSERT_TRUE(again->consume(queue).ok());
  auto d = again->next_delivery(10s);
  ASSERT_TRUE(d.ok()) << d.error().describe();
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->message.body, kept.body);
  // A graceful stop requeues it as redelivered; a killed node may not have
  // recorded the delivery, so only the message itself is certain there.
  if (graceful) {
    EXPECT_TRUE((*d)->redelivered);
  }
  EXPECT_TRUE(again->ack((*d)->tag).ok());
}

TEST(BrokerRestart, GracefulRestartIsConnectionLostAndANewConnectionWorks) {
  restart_and_check(true);
}

TEST(BrokerRestart, KilledBrokerIsConnectionLostAndANewConnectionWorks) {
  restart_and_check(false);
}

}  // namespace
}  // namespace gb::amqp
