#pragma once
// Takes messages from one queue with manual acknowledgement (basic.consume,
// no_ack = false) over its own connection.
//
// Delivery contract: at-least-once. A delivery stays unacknowledged until
// ack() or reject(); if this consumer's connection or channel goes away first,
// the broker requeues it and delivers it again (redelivered = true), to us or
// to another consumer. So whatever a message asks for must be idempotent, and
// acked only after it is committed.
//
// Heartbeats and idleness: call next_delivery() with timeouts of at most
// heartbeat/2, and while busy with a delivery call pump() at least that
// often, or the broker drops the connection (and requeues what we hold).
// Not thread-safe.
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "amqp/connection.hpp"

namespace gb::amqp {

class Consumer {
 public:
  static Result<Consumer> open(const BrokerUrl& url, const ConnectionOptions& options = {});

  // For declare_queue, queue_counts... on the same connection.
  Connection& connection() { return connection_; }

  // The connection is up and the consumer has not been cancelled or lost with
  // its channel. False after an error: make a new Consumer (with backoff).
  bool is_open() const;

  // basic.qos: at most `prefetch` unacknowledged deliveries at a time (0 = no
  // limit, which unbounds memory: don't).
  Status set_prefetch(std::uint16_t prefetch);

  // basic.consume on `queue`; the broker picks the consumer tag.
  Status consume(std::string_view queue);

  // The next delivery, waiting at most `timeout` (0 = only what has arrived);
  // nullopt when none came. Errors: connection or channel lost (is_open()
  // false), consumer cancelled by the broker (queue deleted).
  Result<std::optional<Delivery>> next_delivery(std::chrono::milliseconds timeout);

  // Services the connection without blocking (heartbeats, a close from the
  // broker); deliveries that arrive are kept for next_delivery().
  Status pump();

  Status ack(std::uint64_t tag) { return connection_.ack(tag); }
  Status reject(std::uint64_t tag, bool requeue) { return connection_.reject(tag, requeue); }

 private:
  explicit Consumer(Connection connection) : connection_(std::move(connection)) {}
  Result<std::optional<Delivery>> read_delivery(std::chrono::milliseconds timeout);

  Connection connection_;
  std::string consumer_tag_;
  std::uint64_t consume_epoch_ = 0;  // the channel epoch basic.consume ran on
  std::deque<Delivery> pending_;
};

}  // namespace gb::amqp
