#include "amqp/detail/errors.hpp"

#include <amqp_framing.h>
#include <gtest/gtest.h>

namespace gb::amqp::detail {
namespace {

TEST(Translate, ChannelCloseKeepsTheBrokersReason) {
  amqp_channel_close_t close{};
  close.reply_code = AMQP_PRECONDITION_FAILED;
  close.reply_text = amqp_cstring_bytes("PRECONDITION_FAILED - inequivalent arg 'x-message-ttl'");
  amqp_rpc_reply_t reply{};
  reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
  reply.reply.id = AMQP_CHANNEL_CLOSE_METHOD;
  reply.reply.decoded = &close;
  const Failure f = translate(reply, "declaring queue 'q'");
  EXPECT_EQ(f.lost, Lost::kChannel);
  EXPECT_EQ(f.error.kind, ErrorKind::kPermanent);
  EXPECT_EQ(f.error.message,
            "declaring queue 'q': the broker closed the channel: 406 PRECONDITION_FAILED - inequivalent arg "
            "'x-message-ttl'");
}

TEST(Translate, ConnectionCloseByABrokerShuttingDownIsTransient) {
  amqp_connection_close_t close{};
  close.reply_code = AMQP_CONNECTION_FORCED;
  close.reply_text = amqp_cstring_bytes("CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'");
  amqp_rpc_reply_t reply{};
  reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
  reply.reply.id = AMQP_CONNECTION_CLOSE_METHOD;
  reply.reply.decoded = &close;
  const Failure f = translate(reply, "waiting");
  EXPECT_EQ(f.lost, Lost::kConnection);
  EXPECT_EQ(f.error.kind, ErrorKind::kTransient);
  EXPECT_NE(f.error.message.find("320 CONNECTION_FORCED"), std::string::npos);

  close.reply_code = AMQP_ACCESS_REFUSED;
  EXPECT_EQ(translate(reply, "login").error.kind, ErrorKind::kUnauthorized);
}

TEST(Translate, LibraryErrors) {
  EXPECT_EQ(translate(AMQP_STATUS_SOCKET_ERROR, "x").lost, Lost::kConnection);
  EXPECT_EQ(translate(AMQP_STATUS_SOCKET_ERROR, "x").error.kind, ErrorKind::kTransient);
  EXPECT_EQ(translate(AMQP_STATUS_HEARTBEAT_TIMEOUT, "x").lost, Lost::kConnection);
  EXPECT_EQ(translate(AMQP_STATUS_TABLE_TOO_BIG, "x").lost, Lost::kNothing);
  EXPECT_EQ(translate(AMQP_STATUS_TABLE_TOO_BIG, "x").error.kind, ErrorKind::kInvalidInput);
  amqp_rpc_reply_t eof{};
  eof.reply_type = AMQP_RESPONSE_NONE;
  EXPECT_EQ(translate(eof, "x").lost, Lost::kConnection);
  amqp_rpc_reply_t lib{};
  lib.reply_type = AMQP_RESPONSE_LIBRARY_EXCEPTION;
  lib.library_error = AMQP_STATUS_CONNECTION_CLOSED;
  EXPECT_EQ(translate(lib, "x").error.message, std::string("x: ") + amqp_error_string2(AMQP_STATUS_CONNECTION_CLOSED));
}

}  // namespace
}  // namespace gb::amqp::detail
