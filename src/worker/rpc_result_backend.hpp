#pragma once
// worker::ResultBackend for rpc:// (Celery's default in the guide): the
// result document as a message to the producer's reply queue, with the
// task's correlation_id, through the worker's confirmed publisher. The
// document is celery/'s, byte for byte what Python's RPCBackend writes.
#include "worker/ports.hpp"

namespace gb::worker {

// Nothing is sent when reply_to is empty (Python's RPCBackend does the same).
// A publish the broker refuses for good (NO_ROUTE: the producer's reply
// queue went away with the producer) is Ok: nobody is waiting, and handing
// the task back would redeliver it forever. Not thread-safe.
class RpcResultBackend final : public ResultBackend {
 public:
  explicit RpcResultBackend(Publisher& publisher) : publisher_(publisher) {}
  Status store(std::string_view task_id, TaskState state, std::string_view result_json, std::string_view reply_to,
               std::string_view correlation_id) override;

 private:
  Publisher& publisher_;
};

}  // namespace gb::worker
