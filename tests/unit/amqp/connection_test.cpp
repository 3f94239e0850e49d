// Opening connections: what a wrong password, vhost or port looks like.
#include "broker_test_support.hpp"
#include "testing/server_process.hpp"

namespace gb::amqp {
namespace {

TEST_F(BrokerTest, WrongPasswordIsUnauthorizedAndNotQuoted) {
  BrokerUrl wrong = url_;
  wrong.password = "not-the-password";
  auto c = Connection::open(wrong);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnauthorized) << c.error().describe();
  EXPECT_NE(c.error().message.find("ACCESS_REFUSED"), std::string::npos) << c.error().message;
  EXPECT_EQ(c.error().message.find("not-the-password"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("guest:***@"), std::string::npos) << c.error().message;
}

TEST_F(BrokerTest, UnknownVhostIsRefused) {
  BrokerUrl other = url_;
  other.vhost = "no-such-vhost";
  auto c = Connection::open(other);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().kind, ErrorKind::kTransient) << c.error().describe();
}

TEST_F(BrokerTest, NothingListeningIsTransient) {
  BrokerUrl closed = url_;
  closed.port = fixtures::free_port();
  ConnectionOptions options;
  options.connect_timeout = 2s;
  auto c = Connection::open(closed, options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kTransient) << c.error().describe();
}

TEST_F(BrokerTest, ConnectionNameAndMovesWork) {
  ConnectionOptions options;
  options.connection_name = "genesys-bulk test";
  auto c = Connection::open(url_, options);
  ASSERT_TRUE(c.ok()) << c.error().describe();
  Connection moved = std::move(c).value();
  EXPECT_TRUE(moved.is_open());
  EXPECT_EQ(moved.describe(), "amqp://guest:***@127.0.0.1:" + std::to_string(shared_broker().port()) + "/%2F");
  EXPECT_TRUE(moved.declare_queue(queue_, true).ok());
}

}  // namespace
}  // namespace gb::amqp
