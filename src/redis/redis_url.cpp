#include "redis/redis_url.hpp"

#include <fmt/format.h>

#include <charconv>

#include "base/server_url.hpp"

namespace gb::redis {

Result<RedisUrl> RedisUrl::parse(std::string_view text) {
  auto parts = split_server_url(text, "redis", "rediss", "redis");
  if (!parts.ok()) return std::move(parts).error();
  RedisUrl url;
  if (parts->user && !parts->password) {
    // redis://secret@host: redis-py reads a lone userinfo as the password.
    url.password = *parts->user;
  } else {
    url.user = parts->user.value_or("");
    url.password = parts->password.value_or("");
  }
  url.host = parts->host;
  url.port = parts->port.value_or(url.port);
  const std::string& db = parts->path;
  if (!db.empty()) {
    const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), url.db);
    if (ec != std::errc() || end != db.data() + db.size() || url.db < 0 || url.db > (1 << 20)) {
      return invalid_input("redis URL: the database must be a number");
    }
  }
  return url;
}

std::string RedisUrl::redacted() const {
  const std::string auth = password.empty() ? (user.empty() ? "" : user + ":@") : user + ":***@";
  return fmt::format("redis://{}{}:{}/{}", auth, bracketed_host(host), port, db);
}

}  // namespace gb::redis
