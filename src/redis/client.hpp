#pragma once
// A Redis connection for what Celery's redis result backend does: store a
// result with a TTL and announce it, in one transaction.
//
// Errors: a lost connection or a timeout (every command is bounded by the
// connect timeout) is kTransient and leaves is_open() false: connect again.
// A Redis error reply is kPermanent (kUnauthorized for a refused AUTH) and the
// connection stays usable. Secrets never appear in errors (URLs are redacted).
// Not thread-safe.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "redis/redis_url.hpp"

namespace gb::redis {

class Client {
 public:
  // TCP connect within `timeout`, AUTH when the URL has a password, SELECT db.
  static Result<Client> connect(const RedisUrl& url, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  bool is_open() const;

  // MULTI; SETEX key ttl value; PUBLISH key value; EXEC -- what Celery's
  // backend does for celery-task-meta-<id> (the channel is the key). OK only
  // when both ran. ttl must be at least one second (kInvalidInput).
  Status setex_and_publish(std::string_view key, std::chrono::seconds ttl, std::string_view value);

  // The value, or nullopt when the key does not exist.
  Result<std::optional<std::string>> get(std::string_view key);
  Status set(std::string_view key, std::string_view value);
  // Seconds left: -1 when the key has no TTL, -2 when it does not exist.
  Result<std::int64_t> ttl(std::string_view key);

 private:
  struct State;
  explicit Client(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gb::redis
