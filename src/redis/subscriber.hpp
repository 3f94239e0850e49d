#pragma once
// A Redis connection in subscribe mode: SUBSCRIBE to channels, then read
// published messages with a timeout (how Celery's producer waits for a
// result announced on celery-task-meta-<id>). Messages published before
// subscribe() returned are not seen: read the key afterwards, as Celery does.
// Errors as in client.hpp. Not thread-safe.
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "redis/redis_url.hpp"

namespace gb::redis {

struct PubSubMessage {
  std::string channel;
  std::string payload;
};

class Subscriber {
 public:
  static Result<Subscriber> connect(const RedisUrl& url, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  Subscriber(Subscriber&&) noexcept;
  Subscriber& operator=(Subscriber&&) noexcept;
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;
  ~Subscriber();

  bool is_open() const;

  // SUBSCRIBE channel; returns once Redis confirmed it (within the timeout).
  Status subscribe(std::string_view channel);

  // The next message on a subscribed channel, waiting at most `timeout`;
  // nullopt when none came (the connection stays usable).
  Result<std::optional<PubSubMessage>> next_message(std::chrono::milliseconds timeout);

 private:
  struct State;
  explicit Subscriber(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gb::redis
