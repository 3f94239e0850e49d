#include "amqp/consumer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "amqp/detail/field_table.hpp"
#include "amqp/detail/session.hpp"

namespace gb::amqp {

using detail::bytes_of;
using detail::Session;

Result<Consumer> Consumer::open(const BrokerUrl& url, const ConnectionOptions& options) {
  auto connection = Connection::open(url, options);
  if (!connection) return connection.error();
  return Consumer(std::move(connection).value());
}

bool Consumer::is_open() const {
  const Session* s = connection_.session_.get();
  return s != nullptr && s->connection_open() && s->consuming() && s->channel_epoch() == consume_epoch_;
}

Status Consumer::set_prefetch(std::uint16_t prefetch) {
  Session* s = connection_.session_.get();
  if (s == nullptr) return invalid_input("basic.qos: moved-from consumer");
  if (auto st = s->ensure_channel(); !st) return st;
  if (amqp_basic_qos(s->state(), Session::kChannel, 0, prefetch, /*global=*/0) == nullptr) {
    return s->fail_last_rpc(fmt::format("basic.qos prefetch {}", prefetch));
  }
  return ok_status();
}

Status Consumer::consume(std::string_view queue) {
  const std::string what = fmt::format("basic.consume on '{}'", queue);
  Session* s = connection_.session_.get();
  if (s == nullptr) return invalid_input(fmt::format("{}: moved-from consumer", what));
  if (auto st = detail::check_short_string(queue, "the queue name"); !st) return st;
  if (s->consuming()) return invalid_input(fmt::format("{}: already consuming", what));
  if (auto st = s->ensure_channel(); !st) return st;
  const amqp_basic_consume_ok_t* ok =
      amqp_basic_consume(s->state(), Session::kChannel, bytes_of(queue), amqp_empty_bytes, /*no_local=*/0, /*no_ack=*/0,
                         /*exclusive=*/0, amqp_empty_table);
  if (ok == nullptr) return s->fail_last_rpc(what);
  consumer_tag_ = detail::string_of(ok->consumer_tag);
  consume_epoch_ = s->channel_epoch();
  s->set_consuming(true);
  return ok_status();
}

Result<std::optional<Delivery>> Consumer::read_delivery(std::chrono::milliseconds timeout) {
  Session* s = connection_.session_.get();
  if (s == nullptr) return invalid_input("next_delivery: moved-from consumer");
  if (!s->connection_open()) return s->closed_error("next_delivery");
  if (!is_open()) {
    return transient_error("next_delivery: not consuming (the channel was closed or the consumer cancelled)");
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto frame = s->next_frame(std::max(left, std::chrono::milliseconds(0)));
    if (!frame) {
      // Whatever the reply code (406 for a consumer timeout), losing the
      // consumer while waiting is not a refusal of a request: reconnecting helps.
      Error lost = frame.error();
      lost.kind = ErrorKind::kTransient;
      return lost;
    }
    if (!*frame) return std::optional<Delivery>();
    const amqp_frame_t& f = **frame;
    if (f.frame_type != AMQP_FRAME_METHOD) continue;  // stray content of nothing we asked for
    if (f.payload.method.id == AMQP_BASIC_CANCEL_METHOD) {
      s->set_consuming(false);
      return transient_error(fmt::format("the broker cancelled consumer '{}' (queue deleted?)", consumer_tag_));
    }
    if (f.payload.method.id != AMQP_BASIC_DELIVER_METHOD) continue;
    // Copy before read_content: the frame's memory is recycled by then.
    const auto* deliver = static_cast<const amqp_basic_deliver_t*>(f.payload.method.decoded);
    Delivery d;
    d.tag = deliver->delivery_tag;
    d.redelivered = deliver->redelivered != 0;
    d.exchange = detail::string_of(deliver->exchange);
    d.routing_key = detail::string_of(deliver->routing_key);
    auto content = s->read_content(fmt::format("delivery {}", d.tag));
    if (!content) return content.error();
    d.message = std::move(content->message);
    d.body_size = content->body_size;
    d.unreadable = std::move(content->unreadable);
    s->add_outstanding(d.tag);
    return std::optional<Delivery>(std::move(d));
  }
}

Result<std::optional<Delivery>> Consumer::next_delivery(std::chrono::milliseconds timeout) {
  if (!is_open()) pending_.clear();  // their tags died with the channel; the broker requeued them
  if (!pending_.empty()) {
    Delivery d = std::move(pending_.front());
    pending_.pop_front();
    return std::optional<Delivery>(std::move(d));
  }
  return read_delivery(timeout);
}

Status Consumer::pump() {
  for (;;) {
    auto d = read_delivery(std::chrono::milliseconds(0));
    if (!d) return d.error();
    if (!*d) return ok_status();
    pending_.push_back(std::move(**d));
  }
}

}  // namespace gb::amqp
