#include "worker/amqp_ports.hpp"

namespace gb::worker {
namespace {

Delivery from_amqp(amqp::Delivery&& d) {
  Delivery out;
  out.tag = d.tag;
  out.redelivered = d.redelivered;
  out.exchange = std::move(d.exchange);
  out.routing_key = std::move(d.routing_key);
  out.message = std::move(d.message);
  out.unreadable = std::move(d.unreadable);
  return out;
}

Result<std::optional<Delivery>> convert(Result<std::optional<amqp::Delivery>> got) {
  if (!got) return std::move(got).error();
  if (!got->has_value()) return std::optional<Delivery>();
  return std::optional<Delivery>(from_amqp(std::move(**got)));
}

}  // namespace

Result<std::optional<Delivery>> AmqpConsumer::next_delivery(std::chrono::milliseconds timeout) {
  return convert(consumer_.next_delivery(timeout));
}

Result<std::optional<Delivery>> AmqpQueueReader::get() {
  return convert(connection_.basic_get(queue_));
}

Status declare_worker_queues(amqp::Connection& connection, const DelayLadder& ladder) {
  for (const auto& queue : worker_queues(ladder)) {
    if (auto declared = connection.declare_queue(queue.name, queue.durable, queue.arguments); !declared) {
      return declared;
    }
  }
  return ok_status();
}

}  // namespace gb::worker
