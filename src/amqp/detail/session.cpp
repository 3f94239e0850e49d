#include "amqp/detail/session.hpp"

#include <amqp_tcp_socket.h>
#include <fmt/format.h>
#include <sys/time.h>

#include <algorithm>
#include <utility>

#include "amqp/detail/field_table.hpp"

namespace gb::amqp::detail {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  const auto clamped = std::max(ms, std::chrono::milliseconds(0));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(clamped.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((clamped.count() % 1000) * 1000);
  return tv;
}

// How long one content frame may take to arrive once its message started:
// the broker sends a message's frames back to back.
std::chrono::milliseconds content_wait(const ConnectionOptions& options) {
  return options.rpc_timeout.count() > 0 ? options.rpc_timeout : std::chrono::milliseconds(30000);
}

constexpr std::string_view kLost = " [connection lost]";

}  // namespace

Status check_short_string(std::string_view value, std::string_view what) {
  if (value.size() > 255) return invalid_input(fmt::format("{} is longer than 255 bytes", what));
  return ok_status();
}

Session::Session(StateHandle state, const BrokerUrl& url, const ConnectionOptions& options)
    : state_(std::move(state)), url_(url.redacted()), options_(options) {}

Session::~Session() {
  // A polite close lets the broker requeue our unacked deliveries at once and
  // log a clean disconnect; it waits at most rpc_timeout.
  if (state_) amqp_connection_close(state_.get(), AMQP_REPLY_SUCCESS);
}

Result<std::unique_ptr<Session>> Session::open(const BrokerUrl& url, const ConnectionOptions& options) {
  const std::string where = url.redacted();
  if (url.host.find('\0') != std::string::npos || url.vhost.find('\0') != std::string::npos ||
      url.user.find('\0') != std::string::npos || url.password.find('\0') != std::string::npos) {
    return invalid_input(fmt::format("broker URL {} contains a NUL byte", where));
  }
  StateHandle state(amqp_new_connection());
  if (!state) return internal_error("amqp: cannot allocate a connection");
  amqp_socket_t* socket = amqp_tcp_socket_new(state.get());  // owned by the connection
  if (socket == nullptr) return internal_error("amqp: cannot allocate a socket");

  const timeval connect_timeout = to_timeval(options.connect_timeout);
  const int rc = amqp_socket_open_noblock(socket, url.host.c_str(), url.port, &connect_timeout);
  if (rc != AMQP_STATUS_OK) return translate(rc, fmt::format("connecting to {}", where)).error;
  amqp_set_handshake_timeout(state.get(), &connect_timeout);
  if (options.rpc_timeout.count() > 0) {
    const timeval rpc_timeout = to_timeval(options.rpc_timeout);
    amqp_set_rpc_timeout(state.get(), &rpc_timeout);
  }

  // consumer_cancel_notify: the broker tells a consumer whose queue was
  // deleted (basic.cancel) instead of going silent. rabbitmq-c merges these
  // capabilities with its own.
  amqp_table_entry_t capability{};
  capability.key = amqp_cstring_bytes("consumer_cancel_notify");
  capability.value.kind = AMQP_FIELD_KIND_BOOLEAN;
  capability.value.value.boolean = 1;
  amqp_table_entry_t entries[2]{};
  entries[0].key = amqp_cstring_bytes("capabilities");
  entries[0].value.kind = AMQP_FIELD_KIND_TABLE;
  entries[0].value.value.table = {1, &capability};
  entries[1].key = amqp_cstring_bytes("connection_name");
  entries[1].value.kind = AMQP_FIELD_KIND_UTF8;
  entries[1].value.value.bytes = bytes_of(options.connection_name);
  amqp_table_t properties{};
  properties.num_entries = options.connection_name.empty() ? 1 : 2;
  properties.entries = entries;
  const int heartbeat = static_cast<int>(std::clamp<std::int64_t>(options.heartbeat.count(), 0, 65535));
  const amqp_rpc_reply_t login =
      amqp_login_with_properties(state.get(), url.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, heartbeat, &properties,
                                 AMQP_SASL_METHOD_PLAIN, url.user.c_str(), url.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) {
    Failure failure = translate(login, fmt::format("logging in to {}", where));
    if (login.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && login.library_error == AMQP_STATUS_CONNECTION_CLOSED) {
      failure.error.message += " (wrong user, password or vhost?)";
    }
    return std::move(failure.error);
  }

  std::unique_ptr<Session> session(new Session(std::move(state), url, options));
  if (auto opened = session->open_channel(); !opened) return opened.error();
  return session;
}

Status Session::open_channel() {
  if (!state_) return closed_error("opening a channel");
  if (amqp_channel_open(state(), kChannel) == nullptr) return fail_last_rpc("opening channel 1");
  channel_open_ = true;
  ++channel_epoch_;
  published_ = 0;
  outstanding_.clear();
  consuming_ = false;
  if (confirms_ && amqp_confirm_select(state(), kChannel) == nullptr) return fail_last_rpc("confirm.select");
  return ok_status();
}

Status Session::ensure_channel() {
  if (!state_) return closed_error("opening a channel");
  if (channel_open_) return ok_status();
  return open_channel();
}

Status Session::enable_confirms() {
  if (confirms_) return ensure_channel();
  confirms_ = true;
  if (!channel_open_) return ensure_channel();
  if (!state_) return closed_error("confirm.select");
  if (amqp_confirm_select(state(), kChannel) == nullptr) return fail_last_rpc("confirm.select");
  published_ = 0;
  return ok_status();
}

Error Session::apply(Failure failure, const amqp_method_t* close_method) {
  switch (failure.lost) {
    case Lost::kNothing: break;
    case Lost::kChannel:
      channel_open_ = false;
      consuming_ = false;
      outstanding_.clear();  // the broker requeued them
      if (close_method != nullptr && state_) {
        amqp_channel_close_ok_t ok{};
        if (amqp_send_method(state(), kChannel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) != AMQP_STATUS_OK) {
          state_.reset();
          failure.error.message += kLost;
        }
      }
      break;
    case Lost::kConnection:
      if (close_method != nullptr && state_ && close_method->id == AMQP_CONNECTION_CLOSE_METHOD) {
        amqp_connection_close_ok_t ok{};
        amqp_send_method(state(), 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);  // best effort: we leave anyway
      }
      state_.reset();
      channel_open_ = false;
      consuming_ = false;
      outstanding_.clear();
      failure.error.message += kLost;
      break;
  }
  return std::move(failure.error);
}

Error Session::fail(const amqp_rpc_reply_t& reply, std::string_view what) {
  const bool server = reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION;
  return apply(translate(reply, what), server ? &reply.reply : nullptr);
}

Error Session::fail(int status, std::string_view what) {
  return apply(translate(status, what), nullptr);
}

Error Session::fail_last_rpc(std::string_view what) {
  if (!state_) return closed_error(what);
  return fail(amqp_get_rpc_reply(state()), what);
}

Error Session::abandon(Error error) {
  state_.reset();
  channel_open_ = false;
  consuming_ = false;
  outstanding_.clear();
  error.message += kLost;
  return error;
}

Error Session::closed_error(std::string_view what) const {
  return transient_error(fmt::format("{}: the connection to {} is closed{}", what, url_, kLost));
}

Result<std::optional<amqp_frame_t>> Session::next_frame(std::chrono::milliseconds timeout) {
  if (!state_) return closed_error("waiting for the broker");
  // Frames handed out earlier have been copied by now: let rabbitmq-c recycle
  // their memory (it does so only when nothing is buffered).
  amqp_maybe_release_buffers(state());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const timeval tv = to_timeval(left);
    amqp_frame_t frame{};
    const int rc = amqp_simple_wait_frame_noblock(state(), &frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT) return std::optional<amqp_frame_t>();
    if (rc != AMQP_STATUS_OK) return fail(rc, "waiting for the broker");
    if (frame.frame_type == AMQP_FRAME_METHOD) {
      const amqp_method_number_t id = frame.payload.method.id;
      const bool closes = (frame.channel == 0 && id == AMQP_CONNECTION_CLOSE_METHOD) ||
                          (frame.channel == kChannel && id == AMQP_CHANNEL_CLOSE_METHOD);
      if (closes) {
        amqp_rpc_reply_t reply{};
        reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
        reply.reply = frame.payload.method;
        return fail(reply, "waiting for the broker");
      }
    }
    // Channel 0 carries connection.blocked/unblocked; nothing else is ours.
    if (frame.channel != kChannel) continue;
    return std::optional<amqp_frame_t>(frame);
  }
}

Result<Content> Session::read_content(std::string_view what) {
  const auto wait = content_wait(options_);
  auto header = next_frame(wait);
  if (!header) return header.error();
  if (!*header) return abandon(transient_error(fmt::format("{}: no content header within {} ms", what, wait.count())));
  const amqp_frame_t& h = **header;
  if (h.frame_type != AMQP_FRAME_HEADER || h.payload.properties.decoded == nullptr) {
    return abandon(
        transient_error(fmt::format("{}: expected a content header, got frame type {}", what, h.frame_type)));
  }
  Content content;
  content.body_size = h.payload.properties.body_size;
  content.message = message_from_properties(*static_cast<const amqp_basic_properties_t*>(h.payload.properties.decoded));
  const bool keep = content.body_size <= options_.max_body_bytes;
  if (keep) {
    content.message.body.reserve(static_cast<std::size_t>(content.body_size));
  } else {
    content.unreadable =
        fmt::format("the body has {} bytes, more than the limit of {}", content.body_size, options_.max_body_bytes);
  }
  std::uint64_t received = 0;
  while (received < content.body_size) {
    auto body = next_frame(wait);
    if (!body) return body.error();
    if (!*body) return abandon(transient_error(fmt::format("{}: body frame missing after {} ms", what, wait.count())));
    const amqp_frame_t& b = **body;
    if (b.frame_type != AMQP_FRAME_BODY) {
      return abandon(transient_error(fmt::format("{}: expected a body frame, got frame type {}", what, b.frame_type)));
    }
    const amqp_bytes_t& fragment = b.payload.body_fragment;
    if (fragment.len > content.body_size - received) {
      return abandon(transient_error(fmt::format("{}: the body is longer than announced", what)));
    }
    if (keep) content.message.body.append(static_cast<const char*>(fragment.bytes), fragment.len);
    received += fragment.len;
  }
  return content;
}

}  // namespace gb::amqp::detail
