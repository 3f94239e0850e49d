#pragma once
// rabbitmq-c's results translated once: into a gb::Error, and what the
// failure cost (nothing, the channel, or the whole connection), which is what
// Session needs to decide what is still usable.
#include <amqp.h>

#include <string_view>

#include "base/result.hpp"

namespace gb::amqp::detail {

enum class Lost { kNothing, kChannel, kConnection };

struct Failure {
  Error error;
  Lost lost = Lost::kConnection;
};

// An amqp_rpc_reply_t that is not AMQP_RESPONSE_NORMAL: a library error
// (socket, heartbeat, protocol: the connection is gone), or the broker closing
// the channel or the connection, whose reply code and text (e.g. "406
// PRECONDITION_FAILED - inequivalent arg 'durable' ...") end the message.
// `what` says what was being done and must not hold a password.
Failure translate(const amqp_rpc_reply_t& reply, std::string_view what);

// A status code (amqp_status_enum) from a call that returns int; AMQP_STATUS_OK
// must not be passed. Same rules as above.
Failure translate(int status, std::string_view what);

}  // namespace gb::amqp::detail
