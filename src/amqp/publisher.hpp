#pragma once
// Publishes with publisher confirms over its own connection (never the
// consumer's, so confirms and deliveries never interleave).
//
// publish() returns OK only once the broker has confirmed (basic.ack) that it
// took responsibility for the message: for a persistent message to a durable
// queue, that it is on disk. Anything else is an Error, and the message may or
// may not have been enqueued (at-least-once: a caller that retries may
// publish it twice). Messages are mandatory: one that no queue takes comes
// back (basic.return) and is an Error (kPermanent, "312 NO_ROUTE").
// Not thread-safe; call keep_alive() at least every heartbeat/2 when idle.
#include <string_view>
#include <utility>

#include "amqp/connection.hpp"

namespace gb::amqp {

class Publisher {
 public:
  // Opens a connection and puts its channel in confirm mode.
  static Result<Publisher> open(const BrokerUrl& url, const ConnectionOptions& options = {});

  Connection& connection() { return connection_; }
  bool is_open() const { return connection_.is_open(); }

  // Publishes and waits up to the connection's rpc_timeout for the confirm.
  // Errors: kPermanent when the message was returned unroutable or the broker
  // closed the channel for it (e.g. NOT_FOUND exchange; the channel is
  // reopened on the next call); kTransient for a nack or a lost connection
  // (is_open() false; a missing confirm drops the connection as well, since
  // its state is unknown); kInvalidInput for names over 255 bytes.
  Status publish(std::string_view exchange, std::string_view routing_key, const Message& message);

  // Services heartbeats without blocking; an Error when the connection died.
  Status keep_alive();

 private:
  explicit Publisher(Connection connection) : connection_(std::move(connection)) {}
  Connection connection_;
};

}  // namespace gb::amqp
