#include "redis/subscriber.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "redis/detail/context.hpp"

namespace gb::redis {

struct Subscriber::State {
  detail::ContextHandle context;
  std::chrono::milliseconds timeout{};
  std::deque<PubSubMessage> pending;  // messages that came before a subscribe confirmation

  Error lost(Error error) {
    context.reset();
    return error;
  }
};

Result<Subscriber> Subscriber::connect(const RedisUrl& url, std::chrono::milliseconds timeout) {
  auto context = detail::connect(url, timeout);
  if (!context) return context.error();
  auto state = std::make_unique<State>();
  state->context = std::move(context).value();
  state->timeout = timeout;
  return Subscriber(std::move(state));
}

Subscriber::Subscriber(std::unique_ptr<State> state) : state_(std::move(state)) {}
Subscriber::Subscriber(Subscriber&&) noexcept = default;
Subscriber& Subscriber::operator=(Subscriber&&) noexcept = default;
Subscriber::~Subscriber() = default;

bool Subscriber::is_open() const {
  return state_ && state_->context;
}

namespace {

std::string_view str(const redisReply* r) {
  if (r == nullptr || r->str == nullptr) return {};
  return {r->str, r->len};
}

// A push of subscribe mode: [kind, channel, payload-or-count].
bool is_push(const redisReply& r, std::string_view kind) {
  return r.type == REDIS_REPLY_ARRAY && r.elements == 3 && r.element[0]->type == REDIS_REPLY_STRING &&
         str(r.element[0]) == kind;
}

}  // namespace

Status Subscriber::subscribe(std::string_view channel) {
  const std::string what = fmt::format("SUBSCRIBE '{}'", channel);
  if (!is_open()) return transient_error(fmt::format("{}: the redis connection is closed [connection lost]", what));
  redisContext* c = state_->context.get();
  if (auto st = detail::append(c, {"SUBSCRIBE", channel}, what); !st) return state_->lost(st.error());
  const auto deadline = std::chrono::steady_clock::now() + state_->timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto reply = detail::read_reply(c, std::max(left, std::chrono::milliseconds(0)), what);
    if (!reply) return state_->lost(reply.error());
    if (!*reply) return state_->lost(transient_error(fmt::format("{}: no confirmation in time", what)));
    const redisReply& r = ***reply;
    if (r.type == REDIS_REPLY_ERROR) return detail::error_from_reply(r, what);
    if (is_push(r, "subscribe") && str(r.element[1]) == channel) return ok_status();
    if (is_push(r, "message"))
      state_->pending.push_back({std::string(str(r.element[1])), std::string(str(r.element[2]))});
  }
}

Result<std::optional<PubSubMessage>> Subscriber::next_message(std::chrono::milliseconds timeout) {
  const std::string_view what = "waiting for a published message";
  if (state_ && !state_->pending.empty()) {
    PubSubMessage m = std::move(state_->pending.front());
    state_->pending.pop_front();
    return std::optional<PubSubMessage>(std::move(m));
  }
  if (!is_open()) return transient_error(fmt::format("{}: the redis connection is closed [connection lost]", what));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto reply = detail::read_reply(state_->context.get(), std::max(left, std::chrono::milliseconds(0)), what);
    if (!reply) return state_->lost(reply.error());
    if (!*reply) return std::optional<PubSubMessage>();
    const redisReply& r = ***reply;
    if (is_push(r, "message")) {
      return std::optional<PubSubMessage>(
          PubSubMessage{std::string(str(r.element[1])), std::string(str(r.element[2]))});
    }
    // Subscribe confirmations and anything else: not a message.
  }
}

}  // namespace gb::redis
