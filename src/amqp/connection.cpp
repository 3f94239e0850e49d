#include "amqp/connection.hpp"

#include <fmt/format.h>

#include <utility>

#include "amqp/detail/field_table.hpp"
#include "amqp/detail/session.hpp"

namespace gb::amqp {

using detail::bytes_of;
using detail::Session;

Result<Connection> Connection::open(const BrokerUrl& url, const ConnectionOptions& options) {
  auto session = Session::open(url, options);
  if (!session) return session.error();
  return Connection(std::move(session).value());
}

Connection::Connection(std::unique_ptr<detail::Session> session) : session_(std::move(session)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

bool Connection::is_open() const {
  return session_ && session_->connection_open();
}

const std::string& Connection::describe() const {
  static const std::string moved_from = "(moved-from amqp connection)";
  return session_ ? session_->url() : moved_from;
}

namespace {

// Shared checks before any call: a live session and an open channel.
Status ready(detail::Session* session, std::string_view what) {
  if (session == nullptr) return invalid_input(fmt::format("{}: moved-from amqp::Connection", what));
  return session->ensure_channel();
}

}  // namespace

Status Connection::declare_queue(std::string_view name, bool durable, const FieldTable& arguments) {
  const std::string what = fmt::format("declaring queue '{}'", name);
  if (auto st = detail::check_short_string(name, "the queue name"); !st) return st;
  if (auto st = ready(session_.get(), what); !st) return st;
  detail::Pool pool;
  const amqp_table_t args = detail::to_amqp(arguments, pool);
  if (amqp_queue_declare(session_->state(), Session::kChannel, bytes_of(name), /*passive=*/0, durable ? 1 : 0,
                         /*exclusive=*/0, /*auto_delete=*/0, args) == nullptr) {
    return session_->fail_last_rpc(what);
  }
  return ok_status();
}

Result<QueueCounts> Connection::queue_counts(std::string_view name) {
  const std::string what = fmt::format("counting queue '{}'", name);
  if (auto st = detail::check_short_string(name, "the queue name"); !st) return st.error();
  if (auto st = ready(session_.get(), what); !st) return st.error();
  const amqp_queue_declare_ok_t* ok = amqp_queue_declare(session_->state(), Session::kChannel, bytes_of(name),
                                                         /*passive=*/1, 0, 0, 0, amqp_empty_table);
  if (ok == nullptr) return session_->fail_last_rpc(what);
  return QueueCounts{ok->message_count, ok->consumer_count};
}

Result<std::uint32_t> Connection::purge_queue(std::string_view name) {
  const std::string what = fmt::format("purging queue '{}'", name);
  if (auto st = detail::check_short_string(name, "the queue name"); !st) return st.error();
  if (auto st = ready(session_.get(), what); !st) return st.error();
  const amqp_queue_purge_ok_t* ok = amqp_queue_purge(session_->state(), Session::kChannel, bytes_of(name));
  if (ok == nullptr) return session_->fail_last_rpc(what);
  return ok->message_count;
}

Status Connection::delete_queue(std::string_view name) {
  const std::string what = fmt::format("deleting queue '{}'", name);
  if (auto st = detail::check_short_string(name, "the queue name"); !st) return st;
  if (auto st = ready(session_.get(), what); !st) return st;
  if (amqp_queue_delete(session_->state(), Session::kChannel, bytes_of(name), 0, 0) == nullptr) {
    return session_->fail_last_rpc(what);
  }
  return ok_status();
}

Result<std::optional<Delivery>> Connection::basic_get(std::string_view queue) {
  const std::string what = fmt::format("basic.get from '{}'", queue);
  if (auto st = detail::check_short_string(queue, "the queue name"); !st) return st.error();
  if (auto st = ready(session_.get(), what); !st) return st.error();
  if (session_->consuming()) return invalid_input(fmt::format("{}: not on a connection that consumes", what));
  const amqp_rpc_reply_t reply = amqp_basic_get(session_->state(), Session::kChannel, bytes_of(queue), /*no_ack=*/0);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) return session_->fail(reply, what);
  if (reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return std::optional<Delivery>();
  const auto* ok = static_cast<const amqp_basic_get_ok_t*>(reply.reply.decoded);
  Delivery d;
  d.tag = ok->delivery_tag;
  d.redelivered = ok->redelivered != 0;
  d.exchange = detail::string_of(ok->exchange);
  d.routing_key = detail::string_of(ok->routing_key);
  auto content = session_->read_content(what);
  if (!content) return content.error();
  d.message = std::move(content->message);
  d.body_size = content->body_size;
  d.unreadable = std::move(content->unreadable);
  session_->add_outstanding(d.tag);
  return std::optional<Delivery>(std::move(d));
}

Status Connection::ack(std::uint64_t tag) {
  const std::string what = fmt::format("ack of delivery {}", tag);
  if (!session_) return invalid_input(fmt::format("{}: moved-from amqp::Connection", what));
  if (!session_->connection_open()) return session_->closed_error(what);
  if (!session_->take_outstanding(tag)) {
    return invalid_input(fmt::format("{}: not outstanding on this channel (settled already, or requeued)", what));
  }
  const int rc = amqp_basic_ack(session_->state(), Session::kChannel, tag, /*multiple=*/0);
  if (rc != AMQP_STATUS_OK) return session_->fail(rc, what);
  return ok_status();
}

Status Connection::reject(std::uint64_t tag, bool requeue) {
  const std::string what = fmt::format("reject of delivery {}", tag);
  if (!session_) return invalid_input(fmt::format("{}: moved-from amqp::Connection", what));
  if (!session_->connection_open()) return session_->closed_error(what);
  if (!session_->take_outstanding(tag)) {
    return invalid_input(fmt::format("{}: not outstanding on this channel (settled already, or requeued)", what));
  }
  const int rc = amqp_basic_reject(session_->state(), Session::kChannel, tag, requeue ? 1 : 0);
  if (rc != AMQP_STATUS_OK) return session_->fail(rc, what);
  return ok_status();
}

}  // namespace gb::amqp
