#include "redis/client.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "redis/detail/context.hpp"

namespace gb::redis {

struct Client::State {
  detail::ContextHandle context;
  std::string url;  // redacted

  // A context error leaves hiredis' context unusable: drop it.
  Error lost(Error error) {
    context.reset();
    return error;
  }
};

Result<Client> Client::connect(const RedisUrl& url, std::chrono::milliseconds timeout) {
  auto context = detail::connect(url, timeout);
  if (!context) return context.error();
  auto state = std::make_unique<State>();
  state->context = std::move(context).value();
  state->url = url.redacted();
  return Client(std::move(state));
}

Client::Client(std::unique_ptr<State> state) : state_(std::move(state)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

bool Client::is_open() const {
  return state_ && state_->context;
}

namespace {

// One command on a live connection; a context error drops it.
template <class State>
Result<detail::ReplyHandle> run(State* state, std::initializer_list<std::string_view> args, std::string_view what) {
  if (state == nullptr || !state->context) {
    return transient_error(fmt::format("{}: the redis connection is closed [connection lost]", what));
  }
  auto reply = detail::command(state->context.get(), args, what);
  if (!reply && state->context->err != 0) return state->lost(reply.error());
  return reply;
}

bool is_status(const redisReply* r, std::string_view text) {
  return r != nullptr && r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == text;
}

}  // namespace

Status Client::setex_and_publish(std::string_view key, std::chrono::seconds ttl, std::string_view value) {
  const std::string what = fmt::format("SETEX+PUBLISH of '{}'", key);
  if (ttl.count() < 1) return invalid_input(fmt::format("{}: the TTL must be at least 1 s", what));
  if (!is_open()) return transient_error(fmt::format("{}: the redis connection is closed [connection lost]", what));
  redisContext* c = state_->context.get();
  const std::string seconds = std::to_string(ttl.count());
  // Pipelined like redis-py's transaction pipeline: four commands, four replies.
  Status queued = detail::append(c, {"MULTI"}, what);
  if (queued) queued = detail::append(c, {"SETEX", key, seconds, value}, what);
  if (queued) queued = detail::append(c, {"PUBLISH", key, value}, what);
  if (queued) queued = detail::append(c, {"EXEC"}, what);
  if (!queued) return state_->lost(queued.error());
  std::array<detail::ReplyHandle, 4> replies;
  for (auto& reply : replies) {
    void* raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) {
      return state_->lost(detail::error_from_context(c, what));
    }
    reply.reset(static_cast<redisReply*>(raw));
  }
  for (const auto& reply : replies) {
    if (reply->type == REDIS_REPLY_ERROR) return detail::error_from_reply(*reply, what);
  }
  const redisReply* exec = replies[3].get();
  if (exec->type != REDIS_REPLY_ARRAY || exec->elements != 2) {
    return permanent_error(fmt::format("{}: the transaction did not run (EXEC reply type {})", what, exec->type));
  }
  if (!is_status(exec->element[0], "OK")) return permanent_error(fmt::format("{}: SETEX failed in EXEC", what));
  if (exec->element[1]->type != REDIS_REPLY_INTEGER) {
    return permanent_error(fmt::format("{}: PUBLISH failed in EXEC", what));
  }
  return ok_status();
}

Result<std::optional<std::string>> Client::get(std::string_view key) {
  auto reply = run(state_.get(), {"GET", key}, fmt::format("GET '{}'", key));
  if (!reply) return reply.error();
  if ((*reply)->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  if ((*reply)->type != REDIS_REPLY_STRING) {
    return permanent_error(fmt::format("GET '{}': unexpected reply type {}", key, (*reply)->type));
  }
  return std::optional<std::string>(std::string((*reply)->str, (*reply)->len));
}

Status Client::set(std::string_view key, std::string_view value) {
  auto reply = run(state_.get(), {"SET", key, value}, fmt::format("SET '{}'", key));
  if (!reply) return reply.error();
  return ok_status();
}

Result<std::int64_t> Client::ttl(std::string_view key) {
  auto reply = run(state_.get(), {"TTL", key}, fmt::format("TTL '{}'", key));
  if (!reply) return reply.error();
  if ((*reply)->type != REDIS_REPLY_INTEGER) {
    return permanent_error(fmt::format("TTL '{}': unexpected reply type {}", key, (*reply)->type));
  }
  return static_cast<std::int64_t>((*reply)->integer);
}

}  // namespace gb::redis
