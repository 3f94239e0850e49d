#include "worker/redis_result_backend.hpp"

#include "worker/detail/celery_result.hpp"

namespace gb::worker {

Status RedisResultBackend::store(std::string_view task_id, TaskState state, std::string_view result_json,
                                 std::string_view /*reply_to*/, std::string_view /*correlation_id*/) {
  if (!client_ || !client_->is_open()) {
    client_.reset();
    auto connected = redis::Client::connect(url_);
    if (!connected) return std::move(connected).error();
    client_.emplace(std::move(*connected));
  }
  const celery::TaskResult r = detail::celery_result(task_id, state, result_json);
  return client_->setex_and_publish(celery::redis_result_key(task_id), expires_, celery::redis_result_value(r, now_()));
}

}  // namespace gb::worker
