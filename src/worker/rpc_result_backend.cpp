#include "worker/rpc_result_backend.hpp"

#include "worker/detail/celery_result.hpp"

namespace gb::worker {

Status RpcResultBackend::store(std::string_view task_id, TaskState state, std::string_view result_json,
                               std::string_view reply_to, std::string_view correlation_id) {
  if (reply_to.empty()) return ok_status();
  const Message m = celery::rpc_result_message(detail::celery_result(task_id, state, result_json), correlation_id);
  auto published = publisher_.publish("", reply_to, m);
  if (!published && published.error().kind == ErrorKind::kPermanent) return ok_status();
  return published;
}

}  // namespace gb::worker
