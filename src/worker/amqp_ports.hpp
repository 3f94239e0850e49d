#pragma once
// The worker's broker ports over amqp/: the work queue's consumer, the
// confirmed publisher, the dead-letter queue's reader, and the queue
// declarations of topology.hpp. Each wraps one amqp/ object it does not own.
#include "amqp/connection.hpp"
#include "amqp/consumer.hpp"
#include "amqp/publisher.hpp"
#include "worker/dlq_admin.hpp"
#include "worker/ports.hpp"
#include "worker/topology.hpp"

namespace gb::worker {

class AmqpConsumer final : public Consumer {
 public:
  explicit AmqpConsumer(amqp::Consumer& consumer) : consumer_(consumer) {}
  Result<std::optional<Delivery>> next_delivery(std::chrono::milliseconds timeout) override;
  Status ack(std::uint64_t tag) override { return consumer_.ack(tag); }
  Status reject(std::uint64_t tag, bool requeue) override { return consumer_.reject(tag, requeue); }

 private:
  amqp::Consumer& consumer_;
};

class AmqpPublisher final : public Publisher {
 public:
  explicit AmqpPublisher(amqp::Publisher& publisher) : publisher_(publisher) {}
  Status publish(std::string_view exchange, std::string_view routing_key, const Message& message) override {
    return publisher_.publish(exchange, routing_key, message);
  }

 private:
  amqp::Publisher& publisher_;
};

class AmqpQueueReader final : public QueueReader {
 public:
  AmqpQueueReader(amqp::Connection& connection, std::string queue)
      : connection_(connection), queue_(std::move(queue)) {}
  Result<std::optional<Delivery>> get() override;
  Status ack(std::uint64_t tag) override { return connection_.ack(tag); }
  Status reject(std::uint64_t tag, bool requeue) override { return connection_.reject(tag, requeue); }
  Result<std::uint32_t> purge() override { return connection_.purge_queue(queue_); }

 private:
  amqp::Connection& connection_;
  std::string queue_;
};

// Declares worker_queues(ladder), in order; the first refusal is returned
// (PRECONDITION_FAILED names the queue whose arguments differ).
Status declare_worker_queues(amqp::Connection& connection, const DelayLadder& ladder);

}  // namespace gb::worker
