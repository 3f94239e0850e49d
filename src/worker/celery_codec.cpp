#include "worker/celery_codec.hpp"

#include <algorithm>
#include <limits>

#include "celery/task_message.hpp"

namespace gb::worker {

Result<Task> CeleryTaskCodec::decode(const Message& message) const {
  auto request = celery::decode_task(message);
  if (!request) return std::move(request).error();
  const celery::TaskRequest& r = *request;
  Task task;
  task.id = r.id;
  task.name = r.task;
  task.retries = static_cast<int>(std::clamp<std::int64_t>(r.retries, 0, std::numeric_limits<int>::max()));
  if (r.eta) task.eta = r.eta->at;
  if (r.expires) task.expires = r.expires->at;
  task.hard_limit_s = r.time_limit;
  task.soft_limit_s = r.soft_time_limit;
  task.reply_to = r.reply_to;
  task.correlation_id = r.correlation_id.empty() ? r.id : r.correlation_id;
  task.ignore_result = r.ignore_result;
  task.args_json = r.args_json;
  task.kwargs_json = r.kwargs_json;
  return task;
}

Result<Message> CeleryTaskCodec::reschedule(const Message& original, int retries, std::optional<WallTime> eta) const {
  auto request = celery::decode_task(original);
  if (!request) return std::move(request).error();
  celery::TaskRequest& r = *request;
  r.retries = retries;
  r.eta.reset();
  if (eta) r.eta = celery::utc_time(*eta);
  strip_dead_letter_headers(r.extra_headers);
  return celery::encode_task(r);
}

}  // namespace gb::worker
