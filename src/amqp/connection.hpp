#pragma once
// One AMQP 0-9-1 connection to RabbitMQ (rabbitmq-c underneath), with one
// channel, and the queue operations every user needs. Consumer and Publisher
// (consumer.hpp, publisher.hpp) each own one.
//
// Errors: every call returns a Result/Status. After any error, is_open()
// says whether this object can still be used: false means the connection is
// gone (socket error, missed heartbeats, the broker closed it or is
// restarting) and the caller must reconnect (with backoff: reconnecting is the
// caller's loop). A channel-level refusal (PRECONDITION_FAILED, NOT_FOUND,
// ACCESS_REFUSED on a queue) keeps the connection: the channel is opened again
// on the next call, and the error message carries the broker's reply text.
// Error kinds: kTransient when trying again later may work (connection lost,
// timeouts, CONNECTION_FORCED), kPermanent when the broker refused what was
// asked, kUnauthorized for a refused login, kInvalidInput for misuse.
//
// Thread safety: none. One connection per thread (rabbitmq-c's rule).
// Heartbeats: rabbitmq-c sends them only while a call is inside the library,
// so a connection must be called at least every heartbeat/2 (Consumer::pump,
// Publisher::keep_alive), or the broker closes it after two missed beats.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "amqp/broker_url.hpp"
#include "base/message.hpp"
#include "base/result.hpp"

namespace gb::amqp {

namespace detail {
class Session;
}

struct ConnectionOptions {
  std::chrono::seconds heartbeat{30};                // 0 disables heartbeats
  std::chrono::milliseconds connect_timeout{10000};  // TCP connect, then the login handshake
  std::chrono::milliseconds rpc_timeout{30000};      // any synchronous method; exceeded = connection gone
  std::size_t max_body_bytes = 16U << 20U;           // larger deliveries are not read into memory
  std::string connection_name;                       // shown by the broker (client property connection_name)
};

struct QueueCounts {
  std::uint32_t messages = 0;  // ready (not counting unacknowledged ones)
  std::uint32_t consumers = 0;
};

// A message taken from a queue, not yet acknowledged (unless it came from a
// no-ack get). `tag` is valid on the connection that received it only.
struct Delivery {
  std::uint64_t tag = 0;
  bool redelivered = false;
  std::string exchange;
  std::string routing_key;
  Message message;
  std::uint64_t body_size = 0;  // as announced by the broker
  // Set when the message could not be taken in whole: its body is larger than
  // ConnectionOptions::max_body_bytes (the body was read and dropped), so
  // message.body is empty. The caller still owns the delivery and must ack or
  // reject it (a dead letter with this reason, typically).
  std::optional<std::string> unreadable;
};

class Connection {
 public:
  // Opens the TCP connection, logs in to url.vhost and opens channel 1.
  // Errors name the redacted URL, never the password.
  static Result<Connection> open(const BrokerUrl& url, const ConnectionOptions& options = {});

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  // Closes politely (connection.close, bounded by rpc_timeout) when still open.
  ~Connection();

  bool is_open() const;

  // queue.declare, not exclusive, not auto-delete. Celery declares its queues
  // durable with no arguments; declaring an existing queue with other
  // arguments fails with PRECONDITION_FAILED (kPermanent, channel reopened).
  Status declare_queue(std::string_view name, bool durable, const FieldTable& arguments = {});
  // Passive declare: the counts, or NOT_FOUND (kPermanent) when it does not exist.
  Result<QueueCounts> queue_counts(std::string_view name);
  // Removes the ready messages; returns how many.
  Result<std::uint32_t> purge_queue(std::string_view name);
  Status delete_queue(std::string_view name);

  // basic.get (not no-ack): one message or nullopt when the queue is empty.
  // The caller must ack or reject it. kInvalidInput on a connection that
  // consumes (a get's content could interleave with deliveries).
  Result<std::optional<Delivery>> basic_get(std::string_view queue);

  // Settle a delivery received on this connection. A tag that is not
  // outstanding (already settled, or from before the channel was reopened,
  // in which case the broker has requeued it) is kInvalidInput and nothing is
  // sent: RabbitMQ would close the channel for an unknown tag.
  Status ack(std::uint64_t tag);
  Status reject(std::uint64_t tag, bool requeue);

  // The redacted URL this connection was opened with.
  const std::string& describe() const;

 private:
  friend class Consumer;
  friend class Publisher;
  explicit Connection(std::unique_ptr<detail::Session> session);
  std::unique_ptr<detail::Session> session_;
};

}  // namespace gb::amqp
