#pragma once
// hiredis wrapped once: owning handles for the context and replies, the one
// translation of its errors, connecting (timeout, AUTH, SELECT), and reading
// a reply with a deadline without poisoning the context (a socket timeout
// inside hiredis marks the context failed for good).
#include <hiredis/hiredis.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>

#include "base/result.hpp"
#include "redis/redis_url.hpp"

namespace gb::redis::detail {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ContextHandle = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyHandle = std::unique_ptr<redisReply, ReplyDeleter>;

// The one translation. A context error (I/O, EOF, protocol, timeout) means
// the connection is unusable: kTransient, with " [connection lost]" at the
// end. An error reply (-ERR ...) is kPermanent, or kUnauthorized for
// NOAUTH/WRONGPASS; the connection stays usable.
Error error_from_context(const redisContext* c, std::string_view what);
Error error_from_reply(const redisReply& reply, std::string_view what);

// TCP connect within `timeout`, then AUTH (when the URL has a password) and
// SELECT (when db != 0). Commands then time out after `timeout` too.
Result<ContextHandle> connect(const RedisUrl& url, std::chrono::milliseconds timeout);

// Sends one command (binary-safe arguments) and reads its reply. An error
// reply is an Error (see above).
Result<ReplyHandle> command(redisContext* c, std::initializer_list<std::string_view> args, std::string_view what);

// Queues one command in the output buffer (sent by the next read).
Status append(redisContext* c, std::initializer_list<std::string_view> args, std::string_view what);

// Reads one reply: waits at most `timeout` for it (nullopt when none came;
// the context stays usable). Error replies are returned as replies here.
Result<std::optional<ReplyHandle>> read_reply(redisContext* c, std::chrono::milliseconds timeout,
                                              std::string_view what);

}  // namespace gb::redis::detail
