#include "amqp/detail/errors.hpp"

#include <amqp_framing.h>
#include <fmt/format.h>

#include <string>

namespace gb::amqp::detail {
namespace {

std::string_view text_of(const amqp_bytes_t& bytes) {
  return {static_cast<const char*>(bytes.bytes), bytes.len};
}

// Channel-level reply codes (AMQP 0-9-1 section 1.9): the broker refused what
// we asked for; asking again the same way fails again.
ErrorKind channel_close_kind(int code) {
  switch (code) {
    case AMQP_ACCESS_REFUSED:
    case AMQP_NOT_FOUND:
    case AMQP_RESOURCE_LOCKED:
    case AMQP_PRECONDITION_FAILED: return ErrorKind::kPermanent;
    default: return ErrorKind::kTransient;  // 311 CONTENT_TOO_LARGE, 313 NO_CONSUMERS, ...
  }
}

// Connection-level reply codes: a broker shutting down or restarting (320
// CONNECTION_FORCED) or an internal error is worth a reconnect; a refused
// login or vhost is not.
ErrorKind connection_close_kind(int code) {
  switch (code) {
    case AMQP_ACCESS_REFUSED: return ErrorKind::kUnauthorized;
    case AMQP_NOT_ALLOWED: return ErrorKind::kPermanent;  // e.g. no access to the vhost
    default: return ErrorKind::kTransient;
  }
}

}  // namespace

Failure translate(const amqp_rpc_reply_t& reply, std::string_view what) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return {internal_error(fmt::format("{}: translate() called on a normal reply", what)), Lost::kNothing};
    case AMQP_RESPONSE_NONE:
      return {transient_error(fmt::format("{}: the broker closed the connection (EOF)", what)), Lost::kConnection};
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: return translate(reply.library_error, what);
    case AMQP_RESPONSE_SERVER_EXCEPTION: break;
  }
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD && reply.reply.decoded != nullptr) {
    const auto* close = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
    return {
        make_error(channel_close_kind(close->reply_code), fmt::format("{}: the broker closed the channel: {} {}", what,
                                                                      close->reply_code, text_of(close->reply_text))),
        Lost::kChannel};
  }
  if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD && reply.reply.decoded != nullptr) {
    const auto* close = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
    return {make_error(connection_close_kind(close->reply_code),
                       fmt::format("{}: the broker closed the connection: {} {}", what, close->reply_code,
                                   text_of(close->reply_text))),
            Lost::kConnection};
  }
  return {transient_error(fmt::format("{}: unexpected method 0x{:08x} from the broker", what, reply.reply.id)),
          Lost::kConnection};
}

Failure translate(int status, std::string_view what) {
  const std::string message = fmt::format("{}: {}", what, amqp_error_string2(status));
  switch (status) {
    case AMQP_STATUS_OK: return {internal_error(message + " (translate() called on AMQP_STATUS_OK)"), Lost::kNothing};
    // Refused before anything was sent: the connection is still fine.
    case AMQP_STATUS_TABLE_TOO_BIG:
    case AMQP_STATUS_INVALID_PARAMETER:
    case AMQP_STATUS_BAD_URL: return {invalid_input(message), Lost::kNothing};
    case AMQP_STATUS_BROKER_UNSUPPORTED_SASL_METHOD:
    case AMQP_STATUS_INCOMPATIBLE_AMQP_VERSION:
    case AMQP_STATUS_UNSUPPORTED: return {permanent_error(message), Lost::kConnection};
    case AMQP_STATUS_NO_MEMORY: return {internal_error(message), Lost::kConnection};
    // Socket errors, heartbeat and RPC timeouts (rabbitmq-c closes the socket),
    // a broker that went away, protocol errors: reconnecting may help.
    default: return {transient_error(message), Lost::kConnection};
  }
}

}  // namespace gb::amqp::detail
