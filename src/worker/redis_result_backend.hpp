#pragma once
// worker::ResultBackend for redis://: celery-task-meta-<id> written with
// SETEX and PUBLISHed on the channel of that name, in one MULTI/EXEC, as
// Python's RedisBackend does (its get() subscribes to the channel, then reads
// the key once). Documents are celery/'s.
#include <chrono>
#include <functional>
#include <optional>

#include "redis/client.hpp"
#include "redis/redis_url.hpp"
#include "worker/ports.hpp"

namespace gb::worker {

// Connects on first use, and again after the connection was lost (a store
// that fails is the caller's to hand back; the next one reconnects). Not
// thread-safe.
class RedisResultBackend final : public ResultBackend {
 public:
  RedisResultBackend(redis::RedisUrl url, std::chrono::seconds expires,
                     std::function<std::chrono::system_clock::time_point()> now)
      : url_(std::move(url)), expires_(expires), now_(std::move(now)) {}
  Status store(std::string_view task_id, TaskState state, std::string_view result_json, std::string_view reply_to,
               std::string_view correlation_id) override;

 private:
  redis::RedisUrl url_;
  std::chrono::seconds expires_;  // Celery's result_expires: one day
  std::function<std::chrono::system_clock::time_point()> now_;
  std::optional<redis::Client> client_;
};

}  // namespace gb::worker
