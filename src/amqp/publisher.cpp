#include "amqp/publisher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "amqp/detail/field_table.hpp"
#include "amqp/detail/session.hpp"

namespace gb::amqp {

using detail::bytes_of;
using detail::Session;

Result<Publisher> Publisher::open(const BrokerUrl& url, const ConnectionOptions& options) {
  auto connection = Connection::open(url, options);
  if (!connection) return connection.error();
  if (auto st = connection->session_->enable_confirms(); !st) return st.error();
  return Publisher(std::move(connection).value());
}

namespace {

Status check_message(std::string_view exchange, std::string_view routing_key, const Message& m) {
  using Field = std::pair<std::string_view, std::string_view>;  // value, what it is
  const std::array<Field, 8> fields = {
      Field{exchange, "the exchange name"},      Field{routing_key, "the routing key"},
      Field{m.content_type, "content_type"},     Field{m.content_encoding, "content_encoding"},
      Field{m.correlation_id, "correlation_id"}, Field{m.reply_to, "reply_to"},
      Field{m.message_id, "message_id"},         Field{m.expiration, "expiration"}};
  for (const auto& [value, what] : fields) {
    if (auto st = detail::check_short_string(value, what); !st) return st;
  }
  return ok_status();
}

// rabbitmq-c refuses an oversized header frame only after it has sent the
// publish method, which leaves the channel broken: refuse it first. The
// header frame also holds the short-string properties (at most 8 x 256
// bytes, checked above), hence the margin.
Status check_headers_fit(const amqp_basic_properties_t& properties, std::string_view what) {
  if ((properties._flags & AMQP_BASIC_HEADERS_FLAG) == 0) return ok_status();
  std::vector<char> buffer(AMQP_DEFAULT_FRAME_SIZE - 4096);
  amqp_bytes_t out{buffer.size(), buffer.data()};
  size_t offset = 0;
  if (amqp_encode_table(out, const_cast<amqp_table_t*>(&properties.headers), &offset) != AMQP_STATUS_OK) {  // NOLINT
    return invalid_input(
        fmt::format("{}: the headers do not fit in one frame ({} bytes at most)", what, buffer.size()));
  }
  return ok_status();
}

}  // namespace

Status Publisher::publish(std::string_view exchange, std::string_view routing_key, const Message& message) {
  const std::string what = fmt::format("publishing to exchange '{}' with routing key '{}'", exchange, routing_key);
  Session* s = connection_.session_.get();
  if (s == nullptr) return invalid_input(fmt::format("{}: moved-from publisher", what));
  if (auto st = check_message(exchange, routing_key, message); !st) return st;
  if (auto st = s->enable_confirms(); !st) return st;  // reopens the channel after a channel error

  detail::Pool pool;
  const amqp_basic_properties_t properties = detail::properties_from_message(message, pool);
  if (auto st = check_headers_fit(properties, what); !st) return st;
  const int rc = amqp_basic_publish(s->state(), Session::kChannel, bytes_of(exchange), bytes_of(routing_key),
                                    /*mandatory=*/1, /*immediate=*/0, &properties, bytes_of(message.body));
  if (rc != AMQP_STATUS_OK) return s->fail(rc, what);
  const std::uint64_t seq = s->next_publish_seq();

  // RabbitMQ answers a mandatory message nobody takes with basic.return, then
  // basic.ack: remember the return and keep waiting for the ack.
  std::optional<std::string> returned;
  const auto timeout =
      s->options().rpc_timeout.count() > 0 ? s->options().rpc_timeout : std::chrono::milliseconds(30000);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto frame = s->next_frame(std::max(left, std::chrono::milliseconds(0)));
    if (!frame) return frame.error();
    if (!*frame) {
      return s->abandon(transient_error(fmt::format("{}: no confirm within {} ms", what, timeout.count())));
    }
    const amqp_frame_t& f = **frame;
    if (f.frame_type != AMQP_FRAME_METHOD) continue;
    const amqp_method_number_t id = f.payload.method.id;
    if (id == AMQP_BASIC_RETURN_METHOD) {
      const auto* r = static_cast<const amqp_basic_return_t*>(f.payload.method.decoded);
      returned = fmt::format("{} {}", r->reply_code, detail::string_of(r->reply_text));
      auto content = s->read_content(what);  // the returned message: read and dropped
      if (!content) return content.error();
      continue;
    }
    if (id == AMQP_BASIC_ACK_METHOD) {
      const auto* a = static_cast<const amqp_basic_ack_t*>(f.payload.method.decoded);
      const bool covers = a->delivery_tag == seq || (a->multiple != 0 && a->delivery_tag >= seq);
      if (!covers) continue;  // an earlier message's confirm
      if (returned) return permanent_error(fmt::format("{}: the broker returned it: {}", what, *returned));
      return ok_status();
    }
    if (id == AMQP_BASIC_NACK_METHOD) {
      const auto* n = static_cast<const amqp_basic_nack_t*>(f.payload.method.decoded);
      const bool covers = n->delivery_tag == seq || (n->multiple != 0 && n->delivery_tag >= seq);
      if (!covers) continue;
      return transient_error(fmt::format("{}: the broker refused it (basic.nack)", what));
    }
  }
}

Status Publisher::keep_alive() {
  Session* s = connection_.session_.get();
  if (s == nullptr) return invalid_input("keep_alive: moved-from publisher");
  for (;;) {
    auto frame = s->next_frame(std::chrono::milliseconds(0));
    if (!frame) return frame.error();
    if (!*frame) return ok_status();
    // Late confirms of messages given up on: nothing to do with them.
  }
}

}  // namespace gb::amqp
