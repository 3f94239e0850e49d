#include "redis/detail/context.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

namespace gb::redis::detail {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

constexpr std::string_view kLost = " [connection lost]";

}  // namespace

Error error_from_context(const redisContext* c, std::string_view what) {
  if (c == nullptr) return internal_error(fmt::format("{}: cannot allocate a redis context", what));
  const std::string_view detail = c->errstr[0] != '\0' ? std::string_view(c->errstr) : "unknown error";
  switch (c->err) {
    case REDIS_ERR_OOM: return internal_error(fmt::format("{}: out of memory{}", what, kLost));
    case REDIS_ERR_PROTOCOL: return transient_error(fmt::format("{}: protocol error: {}{}", what, detail, kLost));
    case REDIS_ERR_EOF: return transient_error(fmt::format("{}: the server closed the connection{}", what, kLost));
    default: return transient_error(fmt::format("{}: {}{}", what, detail, kLost));  // REDIS_ERR_IO, _OTHER
  }
}

Error error_from_reply(const redisReply& reply, std::string_view what) {
  const std::string_view text(reply.str != nullptr ? reply.str : "", reply.str != nullptr ? reply.len : 0);
  const bool auth = text.rfind("NOAUTH", 0) == 0 || text.rfind("WRONGPASS", 0) == 0 ||
                    text.find("invalid password") != std::string_view::npos;
  return make_error(auth ? ErrorKind::kUnauthorized : ErrorKind::kPermanent,
                    fmt::format("{}: redis replied: {}", what, text));
}

Status append(redisContext* c, std::initializer_list<std::string_view> args, std::string_view what) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string_view a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) {
    return error_from_context(c, what);
  }
  return ok_status();
}

Result<ReplyHandle> command(redisContext* c, std::initializer_list<std::string_view> args, std::string_view what) {
  if (auto st = append(c, args, what); !st) return st.error();
  void* raw = nullptr;
  if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) return error_from_context(c, what);
  ReplyHandle reply(static_cast<redisReply*>(raw));
  if (reply->type == REDIS_REPLY_ERROR) return error_from_reply(*reply, what);
  return reply;
}

Result<std::optional<ReplyHandle>> read_reply(redisContext* c, std::chrono::milliseconds timeout,
                                              std::string_view what) {
  // Flush what is queued (SUBSCRIBE) first; the socket is blocking, with the
  // connect timeout as its send timeout.
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(c, &done) != REDIS_OK) return error_from_context(c, what);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(c, &raw) != REDIS_OK) return error_from_context(c, what);
    if (raw != nullptr) return std::optional<ReplyHandle>(ReplyHandle(static_cast<redisReply*>(raw)));
    // Nothing whole buffered: wait for bytes ourselves, so that a timeout is
    // ours and not a failed read inside hiredis.
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{c->fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return transient_error(fmt::format("{}: poll failed{}", what, kLost));
    if (ready == 0) return std::optional<ReplyHandle>();
    if (redisBufferRead(c) != REDIS_OK) return error_from_context(c, what);
  }
}

Result<ContextHandle> connect(const RedisUrl& url, std::chrono::milliseconds timeout) {
  const std::string where = url.redacted();
  const timeval tv = to_timeval(timeout);
  ContextHandle c(redisConnectWithTimeout(url.host.c_str(), url.port, tv));
  if (!c || c->err != 0) return error_from_context(c.get(), fmt::format("connecting to {}", where));
  if (redisSetTimeout(c.get(), tv) != REDIS_OK) return error_from_context(c.get(), "setting the socket timeout");
  if (!url.password.empty()) {
    auto reply = url.user.empty()
                     ? command(c.get(), {"AUTH", url.password}, fmt::format("AUTH at {}", where))
                     : command(c.get(), {"AUTH", url.user, url.password}, fmt::format("AUTH at {}", where));
    if (!reply) return reply.error();
  }
  if (url.db != 0) {
    const std::string db = std::to_string(url.db);
    auto reply = command(c.get(), {"SELECT", db}, fmt::format("SELECT {} at {}", db, where));
    if (!reply) return reply.error();
  }
  return c;
}

}  // namespace gb::redis::detail
