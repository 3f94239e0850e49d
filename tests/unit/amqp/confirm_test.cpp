// Publisher confirms: OK means the broker has the message; anything else is an Error.
#include "broker_test_support.hpp"

namespace gb::amqp {
namespace {

TEST_F(BrokerTest, PublishReturnsOnceTheBrokerHasTheMessage) {
  Publisher pub = publisher();
  for (int i = 0; i < 20; ++i) {
    auto st = pub.publish("", queue_, text("m" + std::to_string(i)));
    ASSERT_TRUE(st.ok()) << st.error().describe();
  }
  auto counts = pub.connection().queue_counts(queue_);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->messages, 20U);
}

TEST_F(BrokerTest, UnroutableMessageIsAnError) {
  Publisher pub = publisher();
  auto st = pub.publish("", queue_ + ".nobody-declared-this", text("lost?"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(st.error().message.find("312 NO_ROUTE"), std::string::npos) << st.error().message;
  EXPECT_TRUE(pub.is_open());
  EXPECT_TRUE(pub.publish("", queue_, text("routed")).ok());
}

TEST_F(BrokerTest, PublishToAMissingExchangeLosesTheChannelOnly) {
  Publisher pub = publisher();
  auto st = pub.publish("no-such-exchange", queue_, text("x"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kPermanent);
  EXPECT_NE(st.error().message.find("404 NOT_FOUND"), std::string::npos) << st.error().message;
  EXPECT_TRUE(pub.is_open());
  auto again = pub.publish("", queue_, text("after"));  // channel reopened, confirm mode again
  EXPECT_TRUE(again.ok()) << again.error().describe();
}

TEST_F(BrokerTest, OverlongNamesAreRefusedBeforeSending) {
  Publisher pub = publisher();
  auto st = pub.publish("", std::string(300, 'q'), text("x"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kInvalidInput);
  EXPECT_TRUE(pub.is_open());
}

}  // namespace
}  // namespace gb::amqp
