// At-least-once: what is not acked comes back, marked redelivered.
#include <optional>

#include "broker_test_support.hpp"

namespace gb::amqp {
namespace {

TEST_F(BrokerTest, RejectWithRequeueRedeliversMarkedRedelivered) {
  Publisher pub = publisher();
  ASSERT_TRUE(pub.publish("", queue_, text("again")).ok());
  Consumer c = consumer();
  auto first = c.next_delivery(10s);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_FALSE((*first)->redelivered);
  ASSERT_TRUE(c.reject((*first)->tag, /*requeue=*/true).ok());
  auto second = c.next_delivery(10s);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  ASSERT_TRUE(second->has_value());
  EXPECT_TRUE((*second)->redelivered);
  EXPECT_EQ((*second)->message.body, "again");
  EXPECT_TRUE(c.ack((*second)->tag).ok());
}

TEST_F(BrokerTest, UnackedDeliveryGoesToAnotherConsumerWhenItsConnectionCloses) {
  Publisher pub = publisher();
  ASSERT_TRUE(pub.publish("", queue_, text("held")).ok());
  std::optional<Consumer> first(consumer());
  auto held = first->next_delivery(10s);
  ASSERT_TRUE(held.ok() && held->has_value());
  EXPECT_FALSE((*held)->redelivered);
  Consumer other = consumer();
  auto nothing = other.next_delivery(300ms);  // the only message is held by `first`
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->has_value());
  first.reset();  // closes its connection with the delivery unacked
  auto again = other.next_delivery(10s);
  ASSERT_TRUE(again.ok()) << again.error().describe();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->message.body, "held");
  EXPECT_TRUE((*again)->redelivered);
  EXPECT_TRUE(other.ack((*again)->tag).ok());
}

TEST_F(BrokerTest, SettlingAnUnknownTagIsRefusedAndTheChannelSurvives) {
  Consumer c = consumer();
  auto st = c.ack(424242);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kInvalidInput);
  EXPECT_TRUE(c.is_open());
  Publisher pub = publisher();
  ASSERT_TRUE(pub.publish("", queue_, text("still consuming")).ok());
  auto d = c.next_delivery(10s);
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_TRUE(c.ack((*d)->tag).ok());
}

// consumer_cancel_notify: a consumer whose queue is deleted hears of it.
TEST_F(BrokerTest, DeletedQueueCancelsTheConsumer) {
  Consumer c = consumer();
  auto admin = Connection::open(url_);
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE(admin->delete_queue(queue_).ok());
  auto d = c.next_delivery(10s);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("cancelled"), std::string::npos) << d.error().message;
  EXPECT_FALSE(c.is_open());
}

// Heartbeats flow while idle as long as next_delivery is called with short
// timeouts: after 3x the heartbeat interval the connection still delivers.
TEST_F(BrokerTest, IdleConsumerStaysConnectedThroughHeartbeats) {
  ConnectionOptions options;
  options.heartbeat = 1s;
  Consumer c = consumer(options);
  const auto until = std::chrono::steady_clock::now() + 4s;
  while (std::chrono::steady_clock::now() < until) {
    auto none = c.next_delivery(400ms);
    ASSERT_TRUE(none.ok()) << none.error().describe();
    ASSERT_FALSE(none->has_value());
  }
  Publisher pub = publisher();
  ASSERT_TRUE(pub.publish("", queue_, text("late")).ok());
  auto d = c.next_delivery(10s);
  ASSERT_TRUE(d.ok()) << d.error().describe();
  ASSERT_TRUE(d->has_value());
  EXPECT_TRUE(c.ack((*d)->tag).ok());
}

// The other side of the rule: a consumer that does not call in for several
// heartbeat intervals is dropped by the broker, and says so.
TEST_F(BrokerTest, SilentConsumerIsDroppedByTheBroker) {
  ConnectionOptions options;
  options.heartbeat = 1s;
  Consumer c = consumer(options);
  std::this_thread::sleep_for(4s);
  std::optional<Error> lost;
  for (int i = 0; i < 20 && !lost; ++i) {
    auto d = c.next_delivery(500ms);
    if (!d.ok()) lost = d.error();
  }
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->kind, ErrorKind::kTransient);
  EXPECT_NE(lost->message.find("[connection lost]"), std::string::npos) << lost->message;
  EXPECT_FALSE(c.is_open());
}

// pump() keeps the connection alive while "busy", and keeps what arrives.
TEST_F(BrokerTest, PumpWhileBusyKeepsDeliveriesForLater) {
  ConnectionOptions options;
  options.heartbeat = 1s;
  auto c = Consumer::open(url_, options);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->connection().declare_queue(queue_, true).ok());
  ASSERT_TRUE(c->set_prefetch(2).ok());
  ASSERT_TRUE(c->consume(queue_).ok());
  Publisher pub = publisher();
  ASSERT_TRUE(pub.publish("", queue_, text("one")).ok());
  ASSERT_TRUE(pub.publish("", queue_, text("two")).ok());
  auto first = c->next_delivery(10s);
  ASSERT_TRUE(first.ok() && first->has_value());
  const auto until = std::chrono::steady_clock::now() + 3s;  // "working" on the first
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(c->pump().ok());
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(c->ack((*first)->tag).ok());
  auto second = c->next_delivery(0ms);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->message.body, "two");
  EXPECT_TRUE(c->ack((*second)->tag).ok());
}

}  // namespace
}  // namespace gb::amqp
